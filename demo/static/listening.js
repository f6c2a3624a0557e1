// Songbridge listening test: consent, questions, trials with a player that reports play/ended to the
// server (which alone decides whether an answer counts), resume by token, completion code.
(() => {
  const API = "/listening/api";
  const root = element.querySelector(".sb-study");
  const params = new URLSearchParams(window.location.search);
  const study = params.get("study");
  if (!study) {
    root.innerHTML = "<p>To take part in a listening test, open the link you were given (it ends in <code>?study=NAME</code>).</p>";
    return;
  }
  const key = "songbridge-token-" + study;
  let token = params.get("p") || window.localStorage.getItem(key);
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  async function call(path, body) {
    const response = await fetch(API + path, body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({ error: "The server did not answer; please retry." }));
    if (!response.ok) { const e = new Error(data.error || "Refused."); e.status = response.status; throw e; }
    return data;
  }

  function remember(t) {
    token = t;
    window.localStorage.setItem(key, t);
    params.set("p", t);  // the link itself resumes, on this or another device
    window.history.replaceState(null, "", "?" + params.toString());
  }

  async function load() {
    try {
      if (!token) {  // the link's other parameters may carry a recruiting platform's id (PROLIFIC_PID …)
        const linkParams = Object.fromEntries([...params].filter(([k]) => !["study", "p", "restarted"].includes(k)).slice(0, 20));
        remember((await call("/session", { study, params: linkParams })).token);
      }
      render(await call("/state?token=" + encodeURIComponent(token)));
    } catch (e) {
      if (e.status === 403 && !params.get("restarted")) {  // a stale token: start afresh once
        window.localStorage.removeItem(key); token = null; params.delete("p"); params.set("restarted", "1");
        return load();
      }
      root.innerHTML = `<p class="sb-error">${esc(e.message)}</p>`;
    }
  }

  const playing = [];  // every clip of the page on screen; silenced when the page moves on

  function render(state) {
    playing.splice(0).forEach((audio) => audio.pause());
    const s = state.study;
    if (!state.consented) return consent(s);
    if (state.headphones && state.headphones.status === "pending") return headphoneCheck(state.headphones);
    if (state.headphones && state.headphones.status === "failed") {
      root.innerHTML = `<h3>Thank you for your time</h3><p>This study needs headphones, and the headphone check
        did not pass. You cannot continue this study; nothing you did is counted against you.</p>`;
      return;
    }
    if (!state.next && s.type === "arena") return arenaDone(state);
    if (!state.next) {
      root.innerHTML = `<h3>Thank you!</h3><p>All ${state.total} trials are done. Your completion code is</p>
        <p class="sb-code">${esc(state.code)}</p>`;
      if (state.completion_url) {  // back to the recruiting platform, which records the completion
        root.insertAdjacentHTML("beforeend", `<p><a class="sb-complete" href="${esc(state.completion_url)}">Return to the study platform</a> (you will be taken there in 5 seconds).</p>`);
        setTimeout(() => { window.location.href = state.completion_url; }, 5000);
      }
      return;
    }
    trial(s, state);
  }

  function consent(s) {
    const questions = Object.entries(s.questions).map(([name, text]) =>
      `<label>${esc(text)}<input type="text" name="${esc(name)}" required></label>`).join("");
    root.innerHTML = `<h3>${esc(s.title)}</h3><p>${esc(s.consent)}</p>
      <label class="sb-choice"><input type="checkbox" class="sb-agree"> I agree to take part.</label>${questions}
      <button class="sb-start" disabled>Start</button><p class="sb-error"></p>`;
    const agree = root.querySelector(".sb-agree");
    const start = root.querySelector(".sb-start");
    agree.onchange = () => { start.disabled = !agree.checked; };
    start.onclick = async () => {
      const profile = {};
      root.querySelectorAll("input[name]").forEach((i) => { profile[i.name] = i.value; });
      try { await call("/consent", { token, profile }); load(); }
      catch (e) { root.querySelector(".sb-error").textContent = e.message; }
    };
  }

  // Woods et al. (2017): three tones, one quieter, one in antiphase; the quietest is plain on headphones only
  function headphoneCheck(check) {
    const trials = check.clips.map((url, k) => `<fieldset class="sb-hp"><legend>Sound ${k + 1}: which tone was the quietest?</legend>
      <div class="sb-hp-player"></div>${["1", "2", "3"].map((c) => `<label class="sb-choice"><input type="radio" name="hp${k}" value="${c}"> tone ${c}</label>`).join(" ")}</fieldset>`).join("");
    root.innerHTML = `<h3>Headphone check (attempt ${check.attempt} of ${check.of})</h3>
      <p>Put on headphones and set a comfortable volume. Each sound below has three tones; choose the quietest.
      You can play each sound once.</p>${trials}<button class="sb-submit" disabled>Continue</button><p class="sb-error"></p>`;
    const submit = root.querySelector(".sb-submit");
    const ready = () => { submit.disabled = !check.clips.every((_, k) => root.querySelector(`input[name="hp${k}"]:checked`)); };
    root.querySelectorAll(".sb-hp-player").forEach((box, k) => {
      const p = player(`sound ${k + 1}`, null, check.clips[k], null);
      const button = p.querySelector("button");
      button.addEventListener("click", () => { setTimeout(() => { button.disabled = true; }, 0); });  // once only
      box.append(p);
    });
    root.querySelectorAll("input[type=radio]").forEach((i) => { i.onchange = ready; });
    submit.onclick = async () => {
      const answers = check.clips.map((_, k) => root.querySelector(`input[name="hp${k}"]:checked`).value);
      submit.disabled = true;
      try { await call("/headphones", { token, answers }); load(); }
      catch (e) { root.querySelector(".sb-error").textContent = e.message; submit.disabled = false; }
    };
  }

  function player(label, slot, url, trialId, done) {
    const box = document.createElement("div");
    box.className = "sb-player";
    box.innerHTML = `<button>▶ Play ${label}</button><progress max="1" value="0"></progress>`;
    const audio = new Audio(url);
    audio.preload = "auto";
    playing.push(audio);
    const button = box.querySelector("button");
    const bar = box.querySelector("progress");
    // a refused report is the server's business (it decides whether the answer counts), except when it
    // cannot store anything: then say so, or the listener is later told to replay a clip they heard
    const report = (event) => slot ? call("/event", { token, trial_id: trialId, slot, event }).catch((e) => {
      if (e.status === 503) root.querySelector(".sb-error").textContent = e.message;
    }) : Promise.resolve();
    button.onclick = () => {
      if (audio.paused) { audio.currentTime = 0; audio.play(); } else { audio.pause(); audio.currentTime = 0; button.textContent = `▶ Play ${label}`; }
    };
    audio.addEventListener("play", () => { button.textContent = `■ Stop ${label}`; report("play"); });
    audio.addEventListener("timeupdate", () => { bar.value = audio.duration ? audio.currentTime / audio.duration : 0; });
    audio.addEventListener("ended", () => { button.textContent = `▶ Play ${label}`; bar.value = 1; report("ended").finally(() => done && done()); });
    return box;
  }

  // An arena: after its votes the visitor sees the board and may vote on more pairs (a new session)
  async function arenaDone(state) {
    const upload = state.study.uploads ? `<fieldset class="sb-upload"><legend>Hear two systems convert your own voice</legend>
      <p>Choose a recording of 1–15 seconds of your speech (WAV, FLAC, OGG or MP3). Two of the systems convert it;
      you vote on them as before.</p>
      <input type="file" accept=".wav,.flac,.ogg,.mp3,audio/wav,audio/flac,audio/ogg,audio/mpeg" class="sb-file"> <button class="sb-send" disabled>Convert my recording</button>
      </fieldset>` : "";
    root.innerHTML = `<h3>Thank you for ${state.answered} votes!</h3><div class="sb-board">Loading the leaderboard…</div>
      ${upload}<button class="sb-more">Vote on more pairs</button><p class="sb-error"></p>`;
    root.querySelector(".sb-more").onclick = () => {
      window.localStorage.removeItem(key); token = null; params.delete("p"); load();
    };
    if (state.study.uploads) {
      const file = root.querySelector(".sb-file"), send = root.querySelector(".sb-send");
      file.onchange = () => { send.disabled = !file.files.length; };
      send.onclick = async () => {
        send.disabled = true; send.textContent = "Converting…";
        const response = await fetch(`${API}/arena/upload?token=${encodeURIComponent(token)}`, { method: "POST", body: file.files[0] })
          .catch(() => null);
        const data = response ? await response.json().catch(() => ({})) : {};
        if (response && response.ok) return load();  // the new pair is the next trial
        root.querySelector(".sb-error").textContent = data.error || "The server did not answer; please retry.";
        send.disabled = false; send.textContent = "Convert my recording";
      };
    }
    try { root.querySelector(".sb-board").innerHTML = boardHtml(await call(`/arena/${encodeURIComponent(study)}/leaderboard`)); }
    catch (e) { root.querySelector(".sb-board").textContent = e.message; }
  }

  function boardHtml(board) {
    const num = (x) => (x === null || x === undefined ? "–" : Number(x).toFixed(2));
    const rows = board.systems.map((r) => `<tr><td>${r.ranked ? r.rank : "–"}</td><td>${esc(r.system)}</td>
      <td>${r.ranked ? num(r.score) : `needs ${board.min_votes - r.votes} more votes`}</td>
      <td>${r.ranked && r.ci_low !== null ? `${num(r.ci_low)} … ${num(r.ci_high)}` : "–"}</td>
      <td>${r.votes}</td><td>${r.wins}</td><td>${r.ties}</td><td>${r.both_bad}</td></tr>`).join("");
    const gates = board.gates.map((g) => `${esc(g.gate)}: ${g.listeners}`).join(" · ");
    return `<table class="sb-table"><tr><th>rank</th><th>system</th><th>Bradley–Terry score</th><th>95 % interval</th>
      <th>decisive votes</th><th>wins</th><th>ties</th><th>both bad</th></tr>${rows}</table>
      <p>${board.decisive_votes} decisive votes from ${board.listeners} listeners kept by screening; a system is ranked
      from ${board.min_votes} decisive votes. ${esc(board.note)}</p><p>Screening: ${gates}</p>`;
  }

  function trial(s, state) {
    const t = state.next;
    const mos = s.type === "mos";
    const arena = s.type === "arena";
    const heard = new Set();
    const needed = mos ? 1 : 2;
    const choices = mos ? ["1", "2", "3", "4", "5"] : arena ? ["A", "tie", "B", "both_bad"] : ["A", "tie", "B"];
    const label = (c) => ({ tie: "no difference", both_bad: "both are bad" })[c] || c;
    const title = t.practice ? "Familiarization trial (for practice)" : `${arena ? "Pair" : "Trial"} ${state.answered} of ${state.total - 1}`;
    root.innerHTML = `<h3>${esc(title)}</h3><progress class="sb-progress" max="${state.total}" value="${state.answered}"></progress>
      <div class="sb-context"></div><div class="sb-clips"></div>
      <p class="sb-hint">Play ${mos ? "the clip" : "both clips"} to the end, then answer every question.</p>
      <div class="sb-questions">${Object.entries(s.attributes).map(([name, q]) => `<fieldset><legend>${esc(q)}</legend>
        ${choices.map((c) => `<label class="sb-choice"><input type="radio" name="${esc(name)}" value="${c}"> ${label(c)}</label>`).join(" ")}
        </fieldset>`).join("")}</div><button class="sb-submit" disabled>Next</button><p class="sb-error"></p>`;
    const context = root.querySelector(".sb-context");
    if (t.source) context.append(player("source recording", null, t.source, t.trial_id));
    if (t.melody) context.append(player("target melody", null, t.melody, t.trial_id));
    const submit = root.querySelector(".sb-submit");
    const ready = () => {
      const answered = Object.keys(s.attributes).every((n) => root.querySelector(`input[name="${CSS.escape(n)}"]:checked`));
      submit.disabled = !(answered && heard.size >= needed);
    };
    const clips = root.querySelector(".sb-clips");
    clips.append(player(mos ? "clip" : "A", "A", t.a, t.trial_id, () => { heard.add("A"); ready(); }));
    if (!mos) clips.append(player("B", "B", t.b, t.trial_id, () => { heard.add("B"); ready(); }));
    root.querySelectorAll("input[type=radio]").forEach((i) => { i.onchange = ready; });
    submit.onclick = async () => {
      const values = {};
      Object.keys(s.attributes).forEach((n) => { values[n] = root.querySelector(`input[name="${CSS.escape(n)}"]:checked`).value; });
      submit.disabled = true;
      try {
        const result = await call("/answer", { token, trial_id: t.trial_id, values });
        if (!result.revealed) return load();
        // an arena names the systems once the vote is stored, then moves on when the visitor is ready
        playing.splice(0).forEach((audio) => audio.pause());
        const same = result.revealed.A === result.revealed.B;
        root.querySelector(".sb-questions").innerHTML = `<p class="sb-reveal">${same
          ? `Both clips came from <b>${esc(result.revealed.A)}</b> (a check that the two sides are heard fairly).`
          : `A was <b>${esc(result.revealed.A)}</b>, B was <b>${esc(result.revealed.B)}</b>.`}</p>`;
        submit.textContent = "Next pair"; submit.disabled = false; submit.onclick = () => load();
      } catch (e) { root.querySelector(".sb-error").textContent = e.message; submit.disabled = false; }
    };
  }

  load();
})();
