// Lets GOV.UK Frontend's styles know scripts run (as the template's inline snippet does);
// a file rather than inline, because the Content-Security-Policy allows no inline script.
document.body.className += " js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
