// Initialise the GOV.UK Frontend components on the page (error summary focus, skip link, navigation toggle).
// Every journey works without this file: it only enhances.
import { initAll } from "./govuk-frontend.min.js";

initAll();
