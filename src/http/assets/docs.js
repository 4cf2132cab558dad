// Renders the OpenAPI document as a readable list. Served from the same origin so the page
// runs under the strict CSP (no inline script, no third-party CDN).
"use strict";
(async function () {
  const root = document.getElementById("spec");
  const el = (tag, props, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const c of children) node.append(c);
    return node;
  };
  let spec;
  try {
    spec = await (await fetch("/api/openapi.json")).json();
  } catch (e) {
    root.textContent = "Could not load the API document.";
    return;
  }
  root.textContent = "";
  root.append(el("p", { textContent: (spec.info && spec.info.description) || "" }));
  const byTag = new Map();
  for (const [path, ops] of Object.entries(spec.paths || {})) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op });
    }
  }
  for (const [tag, ops] of byTag) {
    root.append(el("h2", { textContent: tag }));
    for (const { path, method, op } of ops) {
      const section = el("section", { className: "op" });
      section.append(
        el("div", {}, el("span", { className: "method " + method, textContent: method }), el("code", { textContent: path })),
      );
      if (op.summary || op.description) section.append(el("p", { textContent: op.summary || op.description }));
      const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      if (body) {
        section.append(el("details", {}, el("summary", { textContent: "request body" }),
          el("pre", { textContent: JSON.stringify(body.schema, null, 2) })));
      }
      for (const [status, r] of Object.entries(op.responses || {})) {
        const content = r.content && r.content["application/json"];
        section.append(el("details", {}, el("summary", { textContent: status + " " + (r.description || "") }),
          el("pre", { textContent: content ? JSON.stringify(content.schema, null, 2) : "(no body)" })));
      }
      root.append(section);
    }
  }
  root.append(el("h2", { textContent: "schemas" }));
  for (const [name, schema] of Object.entries((spec.components && spec.components.schemas) || {})) {
    root.append(el("details", {}, el("summary", { textContent: name }),
      el("pre", { textContent: JSON.stringify(schema, null, 2) })));
  }
})();
