/* dialer web: live updates and form posts without reloading. Everything here is an
   enhancement: without this script every form posts and the page reloads itself. */
"use strict";
(function () {
  const body = document.body;
  const page = body.dataset.page;
  const campaign = body.dataset.campaign;
  const csrf = body.dataset.csrf;
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function say(text, bad) {
    const box = $("#message");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
    box.classList.toggle("bad", !!bad);
  }

  // The session ended (signed out in another tab, expired, user disabled): every answer
  // is now a 401, so go to the sign-in page instead of showing "sign in first" forever.
  function signedOut(response) {
    if (response.status !== 401) return false;
    window.location.assign("/login");
    return true;
  }

  function clock(seconds) {
    if (!(seconds >= 0)) return "";
    seconds = Math.floor(seconds);
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function tick() {
    const now = Date.now() / 1000;
    $$("[data-since]").forEach((el) => {
      const since = parseFloat(el.dataset.since);
      el.textContent = isNaN(since) ? "" : clock(now - since);
    });
    $$("[data-deadline]").forEach((el) => {
      const deadline = parseFloat(el.dataset.deadline);
      el.textContent = isNaN(deadline) ? "" : clock(Math.max(0, deadline - now)) + " left";
    });
  }
  setInterval(tick, 500);
  tick();

  /* --- forms ------------------------------------------------------------------------- */
  const endpointBox = $("#sup-endpoint");
  if (endpointBox) {
    endpointBox.value = localStorage.getItem("dialer-endpoint") || "";
    endpointBox.addEventListener("change", () => localStorage.setItem("dialer-endpoint", endpointBox.value));
  }
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-live]")) return;
    event.preventDefault();
    // A second click while the first is on its way (or its question is open) is dropped.
    if (form.dataset.busy) return;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    // Pause, Ready or Log out in wrap-up end it at once, and the campaign's fallback
    // disposition is recorded instead of the agent's: ask before the agent's word is lost.
    const act = $("input[name=action]", form);
    if (page === "agent" && body.dataset.state === "wrap_up" && act &&
        ["pause", "ready", "logout"].includes(act.value) &&
        !window.confirm("This call has no disposition yet. End the wrap-up without one " +
                        "(the campaign's fallback is recorded)?")) return;
    $$("[data-endpoint]", form).forEach((el) => { el.value = endpointBox ? endpointBox.value : ""; });
    const offset = $("[name=tz_offset_min]", form);
    if (offset) {
      // The offset of the chosen moment, not of today: a callback across a daylight-saving
      // change is otherwise an hour off. A datetime-local value parses as local time.
      const chosen = $("[name=callback_at]", form);
      const moment = chosen && chosen.value ? new Date(chosen.value) : new Date();
      offset.value = String((isNaN(moment) ? new Date() : moment).getTimezoneOffset());
    }
    const data = new URLSearchParams(new FormData(form));
    // The server takes an action that asks first only with its answer (without the
    // script, the form's own checkbox says it).
    if (form.dataset.confirm) data.set("confirmed", "yes");
    const button = $("button[type=submit]", form);
    // One answer per click: a second click (or Enter) while the first is on its way is
    // dropped, not sent twice.
    form.dataset.busy = "1";
    if (button) button.disabled = true;
    $$("[aria-invalid]", form).forEach((el) => el.removeAttribute("aria-invalid"));
    try {
      if (navigator.onLine === false) {
        // Never queued for later: an action sent when the network is back could act on a
        // state nobody is looking at any more.
        answered(form, { ok: false, error: "not sent: this browser is offline; nothing was changed" });
        return;
      }
      const response = await fetch(form.getAttribute("action"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrf || "" },
      });
      if (signedOut(response)) return;
      const result = await response.json().catch(() => ({ ok: false, error: response.statusText }));
      answered(form, result);
      if (result.ok && form.id === "dispose-form") { forgetDraft(form); form.reset(); }
    } catch (error) {
      answered(form, { ok: false, error: "the server did not answer (" + error + "): check the page before trying again" });
    } finally {
      delete form.dataset.busy;
      if (button) button.disabled = false;
    }
  });

  // The disposition being written survives a reload, the Back button and the wrap-up
  // timeout's end of the wrap-up (this tab's sessionStorage, keyed by the call): before, a
  // reload in wrap-up lost the notes and the code the agent had chosen.
  const DRAFT_FIELDS = ["disposition", "note", "callback_at", "callback_for"];
  function draftKey(form) {
    const call = $("[name=call]", form);
    return call && call.value ? "dialer-draft:" + campaign + ":" + call.value : "";
  }
  function saveDraft(form) {
    const key = draftKey(form);
    if (!key) return;
    const data = new FormData(form);
    const draft = {};
    DRAFT_FIELDS.forEach((name) => { if (data.get(name)) draft[name] = data.get(name); });
    try { sessionStorage.setItem(key, JSON.stringify(draft)); } catch (error) { /* full */ }
  }
  function restoreDraft(form) {
    const key = draftKey(form);
    let draft = null;
    try { draft = key && JSON.parse(sessionStorage.getItem(key) || "null"); } catch (error) { draft = null; }
    if (!draft || form.dataset.restored === key) return;
    form.dataset.restored = key;
    DRAFT_FIELDS.forEach((name) => {
      if (!(name in draft)) return;
      $$("[name=" + name + "]", form).forEach((el) => {
        if (el.type === "radio") el.checked = el.value === draft[name];
        else if (!el.value) el.value = draft[name];
      });
    });
  }
  function forgetDraft(form) {
    const key = draftKey(form);
    if (key) sessionStorage.removeItem(key);
  }
  const disposeForm = $("#dispose-form");
  if (disposeForm) {
    disposeForm.addEventListener("input", () => saveDraft(disposeForm));
    disposeForm.addEventListener("change", () => saveDraft(disposeForm));
    restoreDraft(disposeForm);
  }

  // The answer to a form: in the page's message and in the form's own (next to the button
  // pressed, in view on a small screen); a refused field is marked and gets the focus.
  function answered(form, result) {
    const text = result.ok ? (result.message || "done") : result.error;
    say(text, !result.ok);
    // (The dialing controls are three small forms sharing one message, beside them.)
    const group = form.closest("[data-messages]");
    const own = $("[data-form-message]", form) || (group && $("[data-form-message]", group));
    if (own) {
      own.textContent = text;
      own.hidden = false;
      own.classList.toggle("bad", !result.ok);
    }
    if (result.seen !== undefined && result.seen !== null) {
      // The stored pacing settings now (after this change, or another supervisor's): the
      // form's placeholders show them and its next send is checked against them.
      const seen = $("[name=pacing_seen]", form);
      if (seen) seen.value = result.seen;
      Object.entries(result.placeholders || {}).forEach(([name, value]) => {
        const input = $("[name=" + name + "]", form);
        if (input) input.placeholder = value;
      });
      if (result.ok) $$("input:not([type=hidden])", form).forEach((el) => { el.value = ""; });
    }
    if (result.state_seen) {
      // The campaign's stored state now (after this action, or another tab's): every
      // dialing control's next send is checked against it, and the label says it.
      $$("[name=state_seen]").forEach((el) => { el.value = result.state_seen; });
      // ... and against its version: a pause and a resume since look the same otherwise.
      if (result.state_version !== undefined) {
        $$("[name=state_version]").forEach((el) => { el.value = result.state_version; });
      }
      const label = $("[data-field=campaign-state]");
      // (A pause's words come with the runner's next snapshot: its status names who.)
      if (result.stopped) body.dataset.stopped = "1";
      if (label && result.stopped) label.textContent = result.state_words;
    }
    const field = result.field && $("[name=" + result.field + "]", form);
    if (field) {
      field.setAttribute("aria-invalid", "true");
      if (own) { own.id = own.id || "msg-" + Math.random().toString(36).slice(2); field.setAttribute("aria-describedby", own.id); }
      field.focus();
    }
    // Centred, not "nearest": nearest leaves the answer flush with the screen's edge, where
    // any later reflow above it (a live update, a label re-wrapped) pushes it out of view.
    if (own) own.scrollIntoView({ block: "center" });
  }

  /* --- live events ----------------------------------------------------------------------- */
  // Live updates lost (the network, the server): what the page shows is as of then, so it
  // says so and dims it, instead of looking live; back, the stream's first events bring
  // every agent and figure afresh (nothing the page sent is replayed).
  function stale(why) {
    if (body.dataset.live === "stale") return;
    body.dataset.live = "stale";
    const label = $("[data-field=live-state]");
    const at = new Date().toLocaleTimeString();
    if (label) { label.textContent = "not live: " + why + " at " + at + "; what is shown is as of then. Reconnecting…"; label.hidden = false; }
    say("live updates interrupted (" + why + "): reconnecting…", true);
  }

  function live() {
    if (body.dataset.live !== "stale") return;
    delete body.dataset.live;
    const label = $("[data-field=live-state]");
    if (label) label.hidden = true;
    if ($("#message") && $("#message").classList.contains("bad")) say("");
  }

  function follow(url, handlers) {
    let source = null;
    function open() {
      source = new EventSource(url);
      Object.entries(handlers).forEach(([kind, handler]) => {
        source.addEventListener(kind, (event) => {
          live();  // before the handler: a "process went away" event marks it stale again
          handler(JSON.parse(event.data));
          body.dataset.updatedAt = String(Date.now());
        });
      });
      source.onerror = () => {
        stale("connection lost");
        // CLOSED: the server refused the stream (the session ended); the browser will not
        // retry by itself, so reload: the page comes back whole, or the sign-in page does.
        if (source.readyState === EventSource.CLOSED && navigator.onLine !== false) setTimeout(() => window.location.reload(), 2000);
      };
      source.onopen = live;
    }
    open();
    window.addEventListener("offline", () => { stale("this browser went offline"); source.close(); });
    window.addEventListener("online", () => { source.close(); open(); });
  }

  function showFor(state, root) {
    $$("[data-show]", root).forEach((el) => { el.hidden = !el.dataset.show.split(" ").includes(state); });
  }

  /* --- agent desktop ------------------------------------------------------------------- */
  if (page === "agent") {
    const agent = body.dataset.agent;
    let leadShown = ($("#lead") || {}).dataset ? $("#lead").dataset.lead : "";

    // What the customer box shows (the server's pages_agent.screen_key): a lead id, or
    // "call:<id>" for the caller of an inbound call or a queue callback (found by number).
    function screenKey(view) {
      const call = view.call;
      if (call) {
        const lead = String(call.lead_id || "");
        if (/^[0-9]+$/.test(lead)) return lead;
        if (["inbound", "callback"].includes(call.direction) && call.number) return "call:" + call.id;
        return "";
      }
      return view.preview ? String(view.preview.lead_id || "") : "";
    }

    async function showLead(key) {
      if (String(key || "") === String(leadShown || "")) return;
      leadShown = key || "";
      const box = $("#lead");
      box.dataset.lead = leadShown;
      if (!key) { box.innerHTML = '<p class="muted">No customer on screen.</p>'; return; }
      const response = await fetch("/agent/lead/" + encodeURIComponent(key) +
        "?campaign=" + encodeURIComponent(campaign), { credentials: "same-origin" });
      if (signedOut(response)) return;
      if (!response.ok) return;
      const html = await response.text();
      // A newer call may have come while this one's card was on its way (back to back).
      if (leadShown === key) box.innerHTML = html;
    }

    function applyView(view) {
      if (view.agent !== agent) return;
      const state = view.state || "logged_out";
      body.dataset.state = state;
      const label = $("[data-field=state]");
      label.textContent = state.replace(/_/g, " ");
      label.className = "state state-" + state;
      $("[data-field=reason]").textContent = view.reason || "";
      $("[data-field=in-state]").dataset.since = view.since || "";
      $("[data-field=pending]").textContent =
        (view.pause_pending ? "pause after this call (" + view.pause_pending + ")" : "") +
        (view.logout_pending ? " log out after this call" : "");
      showFor(state);
      const call = view.call;
      $("#call").hidden = !call;
      if (call) {
        const timer = $("[data-field=call-timer]");
        timer.dataset.since = call.state === "ended" ? "" : (call.bridged_at || "");
        if (call.state === "ended") timer.textContent = "ended";
        $("[data-field=held]").hidden = !call.held_since;
        const facts = [call.direction];
        if (call.queue) facts.push("queue " + call.queue);
        if (call.waited_s) facts.push("waited " + Math.round(call.waited_s) + " s");
        if (call.ivr && call.ivr.length) facts.push("IVR " + call.ivr.join(" › "));
        facts.push(call.number || "number withheld");
        if (!["bridged", "ended"].includes(call.state)) facts.push(call.state);
        $("[data-field=call-facts]").textContent = facts.join(" · ");
      }
      const consult = view.consult;
      $("[data-field=consult]").hidden = !consult;
      if (consult) $("[data-field=consult-text]").textContent =
        "consulting " + consult.kind + " " + consult.target + " (" + consult.state + ")";
      $("#preview").hidden = !view.preview;
      // The wrap-up timeout recorded the campaign's fallback while the agent was choosing
      // (pages_agent.correction_of): the form stays, with what they typed, to replace it.
      const last = view.last_wrap || {};
      const correcting = ["ready", "paused", "connecting"].includes(state) &&
        last.correct_until && Date.now() / 1000 < last.correct_until;
      const note = $("[data-field=correction]");
      if (correcting) {
        $("#dispose").hidden = false;
        note.textContent = "Wrap-up time ran out: your last call was recorded as " + last.code +
          ", the campaign's fallback. Save your disposition now to replace it.";
      }
      note.hidden = !correcting;
      if (correcting && !note.dataset.said) { note.dataset.said = last.call; say(note.textContent, true); }
      if (!correcting) delete note.dataset.said;
      $("[data-field=wrap-call]").value = view.wrap_call || (correcting ? last.call : "");
      if (disposeForm) restoreDraft(disposeForm);
      $("[data-field=wrap-left]").dataset.deadline = view.wrap_deadline || (correcting ? last.correct_until : "");
      showLead(screenKey(view));
      tick();
    }

    function offer(message) {
      if (message.agent !== agent) return;
      const box = $("#offers");
      box.hidden = false;
      const item = document.createElement("li");
      const form = document.createElement("form");
      form.method = "post"; form.action = "/agent/action"; form.dataset.live = "";
      for (const [name, value] of [["csrf", csrf], ["campaign", campaign], ["action", "accept"], ["work", message.work]]) {
        const input = document.createElement("input");
        input.type = "hidden"; input.name = name; input.value = value;
        form.appendChild(input);
      }
      const button = document.createElement("button");
      button.type = "submit"; button.textContent = "Take " + message.kind + " call";
      form.appendChild(button);
      item.appendChild(form);
      $("[data-field=offers]").appendChild(item);
      setTimeout(() => item.remove(), 15000);
    }

    follow("/agent/events?campaign=" + encodeURIComponent(campaign), {
      agent: applyView,
      notice: (message) => { if (message.agent === agent) say(message.text, true); },
      offer: offer,
      link: (message) => { if (!message.connected) say("the campaign's dialer process went away", true); },
    });
  }

  /* --- supervisor wallboard --------------------------------------------------------------- */
  if (page === "supervisor") {
    const table = $("#agents tbody");
    const ACTIONS = [["pause", "Pause"], ["logout", "Log out"], ["listen", "Listen"], ["whisper", "Whisper"], ["barge", "Barge"]];

    function hidden(form, name, value) {
      const input = document.createElement("input");
      input.type = "hidden"; input.name = name; input.value = value;
      form.appendChild(input);
      return input;
    }

    function newRow(agentId) {
      const row = document.createElement("tr");
      row.dataset.agent = agentId;
      const cells = ["name", "state", "time", "reason", "call", "actions"].map((col) => {
        const cell = document.createElement("td");
        if (col !== "name" && col !== "actions") cell.dataset.col = col;
        row.appendChild(cell);
        return cell;
      });
      cells[0].textContent = agentId;
      cells[2].classList.add("timer");
      cells[5].className = "actions";
      for (const [action, label] of ACTIONS) {
        const form = document.createElement("form");
        form.method = "post"; form.action = "/supervisor/action"; form.className = "inline";
        form.dataset.live = "";
        hidden(form, "csrf", csrf); hidden(form, "campaign", campaign);
        hidden(form, "agent", agentId); hidden(form, "action", action);
        if (["listen", "whisper", "barge"].includes(action)) hidden(form, "endpoint", "").dataset.endpoint = "";
        const button = document.createElement("button");
        button.type = "submit"; button.className = "small"; button.textContent = label;
        button.dataset.action = action;
        button.setAttribute("aria-label", label + " " + agentId);
        form.appendChild(button);
        cells[5].appendChild(form);
      }
      const empty = $("tr.empty", table);
      if (empty) empty.remove();
      const rows = $$("tr[data-agent]", table);
      const after = rows.find((r) => r.dataset.agent > agentId);
      table.insertBefore(row, after || null);
      return row;
    }

    function applyAgent(view) {
      let row = $$("tr[data-agent]", table).find((r) => r.dataset.agent === view.agent);
      if (!row) row = newRow(view.agent);
      const state = view.state || "logged_out";
      row.className = "state-" + state;
      row.dataset.state = state;
      // A pause or log-out asked during a call (or held for a promised call: agent_guaranteed).
      $("[data-col=state]", row).textContent = state.replace(/_/g, " ") +
        (view.logout_pending ? " · logging out after this call" :
          view.pause_pending ? " · pausing after this call" : "");
      $("[data-col=time]", row).dataset.since = view.since || "";
      $("[data-col=reason]", row).textContent = view.reason || "";
      const call = view.call;
      $("[data-col=call]", row).textContent = call ? [call.direction, call.held_since ? "held" : "",
        call.queue || ""].filter(Boolean).join(" · ") : "";
    }

    function fig(name, text) { const el = $("[data-fig=" + name + "]"); if (el) el.textContent = text; }
    const pct = (v) => (v === null || v === undefined) ? "—" : (100 * v).toFixed(1) + "%";

    function applySnapshot(s) {
      fig("dial_rate_per_s", (s.dial_rate_per_s || 0).toFixed(2) + "/s");
      fig("lines_per_agent", (s.lines_per_agent || 0).toFixed(2));
      fig("calls_ringing", s.calls_ringing || 0);
      fig("calls_in_progress", s.calls_in_progress || 0);
      fig("abandon_rate", pct(s.abandon_rate));
      fig("abandon_target", pct(s.abandon_target));
      fig("hopper", s.hopper || 0);
      fig("bridges", s.bridges || 0);
      if (s.pacing) { fig("policy", s.pacing.policy); fig("explanation", s.pacing.explanation); }
      const stateLabel = $("[data-field=campaign-state]");
      // Stopped: the stop's words stay (who and when); paused: the runner's own reason,
      // which names who paused and when (the status line's words).
      const status = s.status || {};
      const held = status.activity === "paused" && (status.reasons || [])[0];
      if (stateLabel && !body.dataset.stopped) stateLabel.textContent = held || (s.dialing_paused ? "dialing paused" : (s.stopping ? "stopping" : "dialing"));
      if (s.today) applySummary({ today: s.today, alerts: s.alerts || [] });
      else if (s.alerts) applyAlerts(s.alerts);
      const queues = $("#queues tbody");
      if (queues && s.queues) {
        queues.replaceChildren(...Object.entries(s.queues).map(([name, q]) => {
          const within = q.service_level_within || s.service_level_seconds || 20;
          const agents = q.agents_logged_in === undefined ? "" : q.agents_ready + " / " + q.agents_logged_in;
          return cells("queue", name, [[null, name + (q.open === false ? " (closed)" : "")],
            ["waiting", q.waiting], ["longest", Math.round(q.longest_wait_s) + " s"],
            ["callbacks", q.callbacks_waiting || 0], ["agents", agents], ["answered", q.answered || 0],
            ["level", pct(q.service_level) + " within " + Math.round(within) + " s" +
              (q.service_level_target ? " (target " + pct(q.service_level_target) + ")" : "")]]);
        }));
      }
      const callbacks = $("#queue-callbacks tbody");
      if (callbacks && s.queue_callbacks) {
        callbacks.replaceChildren(...s.queue_callbacks.map((cb) => cells("callback", cb.id, [
          [null, cb.queue], [null, cb.number], [null, utc(cb.place_at)], [null, cb.attempts],
          ["caller-time", cb.caller_time], ["state", cb.state], ["next-try", utc(cb.next_try_at)],
          ["why", cb.why], ["verdict", cb.verdict || "not yet asked"]])));
        if (!s.queue_callbacks.length) callbacks.replaceChildren(cells("empty", "", [[null, "None waiting."]]));
      }
    }

    // A table row of text cells (never markup: names and numbers come from callers).
    function cells(kind, key, columns) {
      const row = document.createElement("tr");
      if (kind === "empty") row.className = "empty"; else row.dataset[kind] = key;
      for (const [col, text] of columns) {
        const cell = document.createElement("td");
        if (col) cell.dataset.col = col;
        cell.textContent = text === null || text === undefined ? "" : String(text);
        if (kind === "empty") { cell.colSpan = 9; cell.className = "muted"; }
        row.appendChild(cell);
      }
      return row;
    }

    // A runner's clock reading as the server renders it (UTC).
    function utc(seconds) {
      if (seconds === null || seconds === undefined) return "";
      return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
    }

    function applySummary(summary) {
      fig("today_rate", pct(summary.today.rate));
      fig("today_abandons", summary.today.abandons);
      fig("today_live", summary.today.live_answers);
      applyAlerts(summary.alerts);
    }

    // The runner's alert book: messages, or the snapshot's alert objects (their message).
    function applyAlerts(alerts) {
      const list = $("[data-field=alerts]");
      list.replaceChildren(...alerts.map((alert) => {
        const item = document.createElement("li");
        item.textContent = typeof alert === "string" ? alert : alert.message;
        return item;
      }));
    }

    setInterval(async () => {
      if (navigator.onLine === false) return;
      try {
        const response = await fetch("/supervisor/summary?campaign=" + encodeURIComponent(campaign), { credentials: "same-origin" });
        if (signedOut(response)) return;
        if (response.ok) applySummary(await response.json());
      } catch (error) { /* the stream's own error says the page is not live */ }
    }, 5000);

    follow("/supervisor/events?campaign=" + encodeURIComponent(campaign), {
      agent: applyAgent,
      snapshot: applySnapshot,
      link: (message) => {
        if (message.connected) return;
        // Its feed stopped: what the page shows of it is as of now (its next snapshot, if
        // it comes back, makes the page live again).
        stale("a dialer process of this campaign went away");
        const label = $("[data-field=campaign-state]");
        if (label && !body.dataset.stopped) label.textContent = "dialer process gone";
      },
    });
  }
})();
