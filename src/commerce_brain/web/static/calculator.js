// 政策计算器: small conveniences only. Without this file the form works the same (blank rows are
// rendered by the server, every event field is shown, and the browser's own print prints).
(function () {
  "use strict";

  // kind → the sentences of the articles its rules apply (a JSON data block of the page).
  var articles = {};

  // The event type first: until one is chosen only the type is asked for; then only the fields
  // that type's rules read, with the articles' sentences beside it. A field already filled or
  // refused stays visible, so nothing is submitted that the person cannot see.
  function fitFields(row) {
    var select = row.querySelector("select.kind");
    var kind = select ? select.value : "";
    var option = select && select.options[select.selectedIndex];
    var wanted = kind ? (option.getAttribute("data-fields") || "").split(" ") : ["kind"];
    row.querySelectorAll("[data-field]").forEach(function (label) {
      var input = label.querySelector("input, select");
      var filled = input && input.value !== "";
      var erred = label.querySelector(".field-error");
      label.hidden = !(wanted.indexOf(label.getAttribute("data-field")) >= 0 || filled || erred);
    });
    var list = row.querySelector("[data-kind-articles]");
    if (list) {
      list.textContent = "";
      (articles[kind] || []).forEach(function (line) {
        var item = document.createElement("li");
        item.textContent = line;
        list.appendChild(item);
      });
    }
  }

  function renumber(row, index) {
    row.setAttribute("data-row", String(index));
    row.querySelector("legend").textContent = "事件 " + (index + 1);
    row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/e\d+_/, "e" + index + "_")); }
      });
    });
  }

  function addRow(button) {
    var rows = document.querySelectorAll("fieldset.event");
    var last = rows[rows.length - 1];
    var next = last.cloneNode(true);
    renumber(next, Number(last.getAttribute("data-row")) + 1);
    next.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    next.querySelectorAll("input").forEach(function (el) { el.value = ""; el.removeAttribute("aria-invalid"); });
    next.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; el.removeAttribute("aria-invalid"); });
    last.parentNode.insertBefore(next, button.closest("p"));
    fitFields(next);
    next.querySelector("select.kind").focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var data = document.getElementById("kind-articles");
    if (data) { articles = JSON.parse(data.textContent); }
    document.querySelectorAll("fieldset.event").forEach(fitFields);
    document.addEventListener("change", function (event) {
      if (event.target.matches("select.kind")) { fitFields(event.target.closest("fieldset.event")); }
      if (event.target.id === "f-year") {
        var year = parseInt(event.target.value, 10);
        if (year > 1999 && year < 2101) {
          document.querySelectorAll("[data-year-label]").forEach(function (el) {
            el.textContent = String(year - Number(el.getAttribute("data-year-label")));
          });
        }
      }
    });
    var add = document.querySelector("[data-add-event]");
    if (add) { add.hidden = false; add.addEventListener("click", function () { addRow(add); }); }
    var print = document.querySelector("[data-print]");
    if (print) { print.hidden = false; print.addEventListener("click", function () { window.print(); }); }
  });
}());
