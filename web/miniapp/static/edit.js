/* casebot's organizer Mini App: a case's names and timeline events, added, corrected and
 * deleted. app.js calls window.casebotEditor(app) with what it shares (labels, the signed
 * API call, the status line, the "Are you sure?" box, opening a case) and calls render()
 * with each case it shows. Editing fills the same form as adding, so it is checked the
 * same way; Delete asks first. */
(function () {
  "use strict";

  window.casebotEditor = function (app) {
    var L = app.L, $ = app.$, el = app.el;
    var editing = { name: null, event: null };
    var detail = null;

    function words(template, what) { return template.replace("%(what)s", what); }

    function itemButton(label, what, work) {
      var button = el("button", label, "secondary");
      button.type = "button";
      button.appendChild(el("span", " " + what, "sr-only"));
      button.addEventListener("click", function () { work(); });
      return button;
    }

    function eventText(event) { return Object.values(event.text).join(" / "); }
    function short(event) {
      var text = event.text[document.documentElement.lang] || Object.values(event.text)[0] || "";
      return event.occurred_on + " " + (text.length > 80 ? text.slice(0, 79) + "…" : text);
    }

    function actions(what, edit, remove) {
      var row = el("div", null, "actions");
      row.appendChild(itemButton(L.edit, what, edit));
      row.appendChild(itemButton(L["delete"], what, remove));
      return row;
    }

    function renderNames() {
      var list = $("name-list");
      list.replaceChildren();
      detail.names.forEach(function (name) {
        var li = el("li");
        var text = el("span", name.text);
        if (name.lang !== "alias") text.lang = name.lang;
        li.appendChild(text);
        var mark = L["lang_" + name.lang] || name.lang;
        li.appendChild(el("span", " (" + mark + (name.primary ? ", " + L.main_name : "") + ")", "hint"));
        li.appendChild(actions(name.text, function () { editName(name); }, function () { deleteName(name); }));
        li.setAttribute("data-name-id", String(name.id));
        list.appendChild(li);
      });
    }

    function renderEvents() {
      var list = $("event-list");
      list.replaceChildren();
      detail.events.forEach(function (event) {
        var li = el("li");
        li.setAttribute("data-event-id", String(event.id));
        li.appendChild(el("strong", event.occurred_on + " "));
        li.appendChild(el("span", eventText(event)));
        if (event.source_url && /^https?:\/\//i.test(event.source_url)) {
          var link = el("a", event.source_url);
          link.href = event.source_url;
          link.rel = "noopener noreferrer";
          link.target = "_blank";
          li.appendChild(document.createTextNode(" "));
          li.appendChild(link);
        }
        li.appendChild(actions(event.occurred_on, function () { editEvent(event); },
          function () { deleteEvent(event); }));
        list.appendChild(li);
      });
    }

    /* -- names ------------------------------------------------------------------------ */

    function stopName() {
      editing.name = null;
      $("n-editing").hidden = true;
      $("n-submit").textContent = L.add_name;
      $("n-stop").hidden = true;
      $("n-text").value = "";
    }

    function editName(name) {
      editing.name = name.id;
      $("n-editing").textContent = words(L.editing, name.text);
      $("n-editing").hidden = false;
      $("n-lang").value = name.lang;
      $("n-text").value = name.text;
      $("n-submit").textContent = L.save_name;
      $("n-stop").hidden = false;
      $("n-text").focus();
    }

    function saveName() {
      var body = { lang: $("n-lang").value, text: $("n-text").value };
      var call = editing.name === null
        ? app.api("POST", "cases/" + app.caseId() + "/names", { names: [body] })
        : app.api("PUT", "cases/" + app.caseId() + "/names/" + editing.name, body);
      return call.then(function (data) {
        stopName();
        app.say(data.message || L.saved);
        return app.openCase(app.caseId());
      });
    }

    function deleteName(name) {
      app.ask(words(L.delete_name, name.text), shown(function () {
        return app.api("DELETE", "cases/" + app.caseId() + "/names/" + name.id).then(function (data) {
          stopName();
          app.say(data.message);
          return app.openCase(app.caseId());
        });
      }), L.yes_delete);
    }

    /* -- events ----------------------------------------------------------------------- */

    function stopEvent() {
      editing.event = null;
      $("event-form").reset();
      $("e-editing").hidden = true;
      $("e-submit").textContent = L.add_event;
      $("e-stop").hidden = true;
    }

    function editEvent(event) {
      editing.event = event.id;
      $("e-editing").textContent = words(L.editing, short(event));
      $("e-editing").hidden = false;
      $("e-date").value = event.occurred_on;
      $("e-precision").value = event.precision;
      ["kk", "ru", "en"].forEach(function (code) { $("e-" + code).value = event.text[code] || ""; });
      $("e-source").value = event.source_url || "";
      $("e-basis").value = event.basis || "";
      $("e-submit").textContent = L.save_event;
      $("e-stop").hidden = false;
      $("e-date").focus();
    }

    function saveEvent(force) {
      var text = {};
      ["kk", "ru", "en"].forEach(function (code) { text[code] = $("e-" + code).value; });
      var body = {
        date: $("e-date").value, precision: $("e-precision").value, text: text,
        source_url: $("e-source").value, basis: $("e-basis").value, force: force
      };
      var base = "cases/" + app.caseId() + "/events";
      var call = editing.event === null
        ? app.api("POST", base, body)
        : app.api("PUT", base + "/" + editing.event, body);
      return call.then(function (data) {
        if (data.state === "ask") { app.ask(data.message, function () { return saveEvent(true); }); return; }
        stopEvent();
        app.say(data.message || L.event_added);
        return app.openCase(app.caseId());
      });
    }

    function deleteEvent(event) {
      var what = short(event);
      app.ask(words(L.delete_event, what), shown(function () {
        return app.api("DELETE", "cases/" + app.caseId() + "/events/" + event.id).then(function (data) {
          stopEvent();
          app.say(data.message);
          return app.openCase(app.caseId());
        });
      }), L.yes_delete);
    }

    function shown(work) {  /* a refusal's message is at the top: bring it into view */
      return function () {
        return work.apply(null, arguments).catch(function (error) {
          $("status").scrollIntoView({ block: "nearest" });
          throw error;
        });
      };
    }

    function submit(id, work) {
      $(id).addEventListener("submit", function (event) {
        event.preventDefault();
        work().catch(function () {});
      });
    }

    return {
      render: function (found) {
        if (!detail || detail.id !== found.id) { stopName(); stopEvent(); }
        detail = found;
        renderNames();
        renderEvents();
      },
      wire: function () {
        submit("names-form", shown(saveName));
        submit("event-form", shown(function () { return saveEvent(false); }));
        $("n-stop").addEventListener("click", function () { stopName(); $("n-text").focus(); });
        $("e-stop").addEventListener("click", function () { stopEvent(); $("e-date").focus(); });
      }
    };
  };
})();
