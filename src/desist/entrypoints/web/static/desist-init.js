// Runs first in <body>: tells GOV.UK Frontend's styles that JavaScript is on and the browser is supported.
// (An external file because the Content-Security-Policy allows no inline script.)
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
