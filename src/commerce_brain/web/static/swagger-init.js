// /api/docs: start Swagger UI from a file, not an inline script, so the page works under the
// platform's Content-Security-Policy. The schema's address comes from the page.
window.addEventListener("load", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    deepLinking: true,
    // No call to validator.swagger.io: the platform runs on an intranet.
    validatorUrl: null
  });
});
