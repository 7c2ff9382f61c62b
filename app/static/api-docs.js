// The API reference: Swagger UI reads the app's own OpenAPI document; no validator or other
// network call leaves the site (validatorUrl null), so it works offline and under the CSP.
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: false,
  });
})();
