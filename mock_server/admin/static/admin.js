// The admin page's one script: follows the journal, the deliveries and the proxy's counts,
// fires conversions, resets the mock, signs in with the admin token and out. Everything it shows is
// data: it builds elements and sets textContent, never HTML.
"use strict";

const COLUMNS = ["time", "method", "path", "status", "operation", "ms", "verdict", "warning", "fault"];
const DELIVERY_COLUMNS = ["target", "rendered", "state", "status", "ms", "failure", "deactivated"];
const POLL_MS = 1000;

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  return td;
}

// A cell linking to base + value, its text the value (both as text, never markup).
function linkCell(base, value) {
  const td = document.createElement("td");
  const link = document.createElement("a");
  link.href = base + encodeURIComponent(String(value));
  link.textContent = String(value);
  td.appendChild(link);
  return td;
}

function requestRow(table, row) {
  const tr = document.createElement("tr");
  tr.dataset.n = String(row.n);
  tr.appendChild(linkCell(table.dataset.entry, row.n));
  for (const name of COLUMNS) {
    tr.appendChild(cell(String(row[name] ?? ""), name === "path" ? "wide" : ""));
  }
  return tr;
}

// Asks for url() every POLL_MS and hands the answer's JSON to show; says whether it follows.
function follow(url, show) {
  const state = document.getElementById("follow-state");
  async function poll() {
    try {
      const answer = await fetch(url(), { headers: { Accept: "application/json" } });
      if (!answer.ok) {
        throw new Error("HTTP " + answer.status);
      }
      show(await answer.json());
      state.textContent = "following";
    } catch (error) {
      state.textContent = "not following: " + error.message;
    }
    window.setTimeout(poll, POLL_MS);
  }
  window.setTimeout(poll, POLL_MS);
}

// Only what is new is asked for: each new request goes on top.
function followJournal(table) {
  const body = table.tBodies[0];
  const limit = Number(table.dataset.limit) || 200;
  follow(
    () => table.dataset.poll + "?after=" + encodeURIComponent(table.dataset.last),
    (news) => {
      const rows = news.rows.slice().reverse(); // oldest of the new first: each goes on top
      for (const row of rows) {
        body.insertBefore(requestRow(table, row), body.firstChild);
      }
      while (body.rows.length > limit) {
        body.deleteRow(-1);
      }
      table.dataset.last = String(news.last);
    },
  );
}

function deliveryRow(table, row) {
  const tr = document.createElement("tr");
  tr.appendChild(cell(String(row.id)));
  tr.appendChild(linkCell(table.dataset.postback, row.pixel));
  for (const name of DELIVERY_COLUMNS) {
    tr.appendChild(cell(String(row[name] ?? ""), name === "rendered" ? "wide" : ""));
  }
  return tr;
}

// Deliveries change state (pending, then delivered or failed): each poll shows them anew.
function followDeliveries(table) {
  follow(
    () => table.dataset.poll,
    (news) => table.tBodies[0].replaceChildren(...news.rows.map((row) => deliveryRow(table, row))),
  );
}

const PROXY_COLUMNS = ["time", "method", "path", "status", "operation", "upstream", "violations", "drift"];
const PROXY_WIDE = new Set(["path", "violations", "drift"]);

function counts(pairs) {
  const td = document.createElement("td");
  for (const [name, n] of pairs) {
    const line = document.createElement("div");
    line.textContent = name + ": " + n;
    td.appendChild(line);
  }
  return td;
}

function operationRow(op) {
  const tr = document.createElement("tr");
  tr.appendChild(cell(op.operation));
  tr.appendChild(cell(String(op.requests)));
  tr.appendChild(cell(String(op.broken)));
  tr.appendChild(counts(op.violations));
  const drift = counts(op.drift);
  drift.className = "wide";
  tr.appendChild(drift);
  return tr;
}

function proxyRow(row) {
  const tr = document.createElement("tr");
  for (const name of PROXY_COLUMNS) {
    tr.appendChild(cell(String(row[name] ?? ""), PROXY_WIDE.has(name) ? "wide" : ""));
  }
  return tr;
}

// The proxy's counts and journal, shown anew each poll.
function followProxy(table) {
  const run = document.getElementById("run");
  const journal = document.getElementById("proxy-journal");
  follow(
    () => table.dataset.poll,
    (now) => {
      run.textContent = now.said;
      table.tBodies[0].replaceChildren(...now.run.operations.map(operationRow));
      journal.tBodies[0].replaceChildren(...now.rows.map(proxyRow));
    },
  );
}

function tokenForm(form) {
  const result = document.getElementById("token-result");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = new FormData(form).get("token");
    const answer = await fetch(form.dataset.action, {
      method: "POST",
      headers: { Authorization: "Bearer " + token, Accept: "application/json" },
    });
    if (await say(result, answer)) {
      window.location.reload();
    }
  });
}

async function say(target, answer) {
  if (answer.ok) {
    return true;
  }
  let detail = "HTTP " + answer.status;
  try {
    const problem = await answer.json();
    detail += ": " + (problem.detail || problem.title || JSON.stringify(problem));
  } catch (error) {
    // not JSON: the status says it
  }
  target.textContent = detail;
  return false;
}

function conversionOf(form) {
  const body = {};
  for (const [name, value] of new FormData(form)) {
    if (value === "") {
      continue;
    }
    // ids as numbers when they are whole numbers; anything else goes as typed, so that
    // the mock's 422 names the field
    body[name] = /_id$/.test(name) && name !== "transaction_id" && /^[0-9]+$/.test(value) ? Number(value) : value;
  }
  return body;
}

function fireForm(form) {
  const result = document.getElementById("fire-result");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.textContent = "firing…";
    const answer = await fetch(form.dataset.action + "?wait=5", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(conversionOf(form)),
    });
    if (await say(result, answer)) {
      const fired = await answer.json();
      result.textContent = fired.deliveries.length + " deliveries started";
    }
  });
}

// A button that sends method to its data-action and reloads the page, or says why not in result.
function actionButton(button, method, result) {
  button.addEventListener("click", async () => {
    const answer = await fetch(button.dataset.action, { method, headers: { Accept: "application/json" } });
    if (await say(result, answer)) {
      window.location.reload();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const journal = document.getElementById("journal");
  if (journal) {
    followJournal(journal);
  }
  const deliveries = document.getElementById("deliveries");
  if (deliveries) {
    followDeliveries(deliveries);
  }
  const operations = document.getElementById("operations");
  if (operations) {
    followProxy(operations);
  }
  const token = document.getElementById("token");
  if (token) {
    tokenForm(token);
  }
  const signOut = document.getElementById("sign-out");
  if (signOut) {
    actionButton(signOut, "DELETE", document.getElementById("sign-out-result"));
  }
  const form = document.getElementById("fire");
  if (form) {
    fireForm(form);
  }
  const reset = document.getElementById("reset");
  if (reset) {
    actionButton(reset, "POST", document.getElementById("reset-result"));
  }
});
