// Progressive enhancement only: every page works without this (show/hide passwords, error
// summary focus, mobile navigation).
import { initAll } from "/assets/govuk-frontend.min.js";

initAll();
