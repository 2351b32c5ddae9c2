"""Read models shared by the command line, the web app and the API."""
