/* Check-in scanner (templates/events/scanner/scanner.html, events/scanner_views.py).
 *
 * No build step and no text of its own: every string arrives translated in the page's
 * json_script config. QR decoding is barcode-detector's ponyfill over our own copy of the
 * zxing wasm (static/vendor/barcode-detector-3.2.2/), the same on every phone: native
 * BarcodeDetector is missing on iOS and on Android phones without Google services.
 * Every decision comes from the check-in API (/api/checkin/…); this file only shows it.
 */
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('scanner-config').textContent);
  const S = config.strings;
  const REPEAT_MS = 3000; // a code is ignored while it stays in view and for 3 s after
  const DETECT_EVERY_MS = 120; // ~8 frames/s: quick at the gate, light on a cheap phone
  const COUNTERS_EVERY_MS = 15000;
  const RETRIES = 3;
  const REQUEST_TIMEOUT_MS = 8000; // a request stuck on weak 4G counts as a network failure
  const PHOTO_MAX_PX = 1600; // phone photos are 12 Mpx; the code needs far less
  const OK = ['checked_in', 'checked_out'];
  const WARN = ['already_checked_in', 'already_checked_out'];
  const KEYS = { token: 'chunfeng.scanner.token', event: 'chunfeng.scanner.event', gate: 'chunfeng.scanner.gate' };
  const wechat = /MicroMessenger/i.test(navigator.userAgent);

  const $ = (id) => document.getElementById(id);
  const el = {
    app: $('scanner-app'), pairing: $('pairing'), pairingError: $('pairing-error'),
    video: $('camera'), cameraToggle: $('camera-toggle'), cameraStatus: $('camera-status'),
    result: $('scan-result'), title: $('result-title'), name: $('result-name'), detail: $('result-detail'),
    undo: $('undo-button'), retry: $('retry-button'), session: $('session-select'), gate: $('gate-input'),
    manual: $('manual-form'), code: $('manual-code'), photo: $('photo-input'),
    search: $('search-form'), query: $('search-input'), results: $('search-results'),
    walkIn: $('walkin-form'), unpair: $('unpair-button'),
  };
  const state = {
    event: config.event, token: '', stream: null, detector: null, timer: 0, resume: false,
    busy: false, seen: new Map(), undoScan: null, undoTimer: 0, countersTimer: 0, sessions: '', searchSeq: 0,
  };
  let detectorPromise = null;
  let audio = null;

  // Helpers -----------------------------------------------------------------------------------

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function newNonce() {
    // crypto.randomUUID is missing before iOS 15.4; 16 random bytes in hex do as well.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function time(iso) {
    if (!iso) return '';
    try {
      return new Date(iso).toLocaleTimeString(config.language, { hour: '2-digit', minute: '2-digit', timeZone: config.timeZone });
    } catch (error) {
      return iso.slice(11, 16);
    }
  }

  function store(key, value) {
    try {
      if (value) localStorage.setItem(key, value); else localStorage.removeItem(key);
    } catch (error) { /* private mode: the setting lasts until the page closes */ }
  }

  function stored(key) {
    try { return localStorage.getItem(key) || ''; } catch (error) { return ''; }
  }

  // The API -----------------------------------------------------------------------------------

  function headers(json) {
    const result = { Accept: 'application/json', 'Accept-Language': config.language };
    if (json) result['Content-Type'] = 'application/json';
    if (config.mode === 'device') result.Authorization = 'Bearer ' + state.token;
    else result['X-CSRFToken'] = config.csrfToken;
    return result;
  }

  async function call(method, path, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(config.api + path, {
        method, headers: headers(Boolean(body)), body: body ? JSON.stringify(body) : undefined,
        // A paired phone proves itself with its token alone, never with a stray session cookie.
        credentials: config.mode === 'device' ? 'omit' : 'same-origin',
        cache: 'no-store', signal: controller.signal,
      });
      let data = {};
      try { data = await response.json(); } catch (error) { /* a proxy's HTML error page */ }
      if (response.status === 401 && config.mode === 'device') tokenRejected();
      return { status: response.status, data };
    } finally {
      clearTimeout(timer);
    }
  }

  // Every POST carries a nonce, so sending the very same body again cannot check anyone in
  // twice: network failures and gateway errors are retried with it, with a growing pause.
  async function post(path, body) {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await call('POST', path, body);
        if (result.status < 502 || result.status > 504 || attempt >= RETRIES) return result;
      } catch (error) {
        if (attempt >= RETRIES) throw error;
      }
      showResult('pending', S.networkRetry);
      await sleep(500 * 2 ** attempt);
    }
  }

  // One request at a time; on failure "Try again" resends the same body, nonce included.
  async function send(path, body, handle) {
    state.busy = true;
    el.retry.hidden = true;
    showResult('pending', S.sending);
    try {
      const { status, data } = await post(path, body);
      handle(status, data);
      return { status, data };
    } catch (error) {
      showResult('bad', S.networkFailed);
      feedback('bad');
      el.retry.onclick = () => send(path, body, handle);
      el.retry.hidden = false;
      return null;
    } finally {
      state.busy = false;
    }
  }

  function scanBody(fields) {
    return Object.assign({
      event: state.event, session: el.session.value ? Number(el.session.value) : null,
      direction: (document.querySelector('input[name="direction"]:checked') || {}).value || 'in',
      gate: el.gate.value.trim(), nonce: newNonce(), scanned_at: new Date().toISOString(),
    }, fields);
  }

  function submitScan(fields) {
    return send('scan', scanBody(fields), showScan);
  }

  // The result panel: a symbol and words for every state, never colour alone ---------------

  function showResult(tone, title, name, detail, status) {
    el.result.dataset.tone = tone;
    el.result.dataset.status = status || '';
    el.title.textContent = title;
    el.name.textContent = name || '';
    el.detail.textContent = detail || '';
  }

  function showScan(status, data) {
    if (status !== 200 || !data.status || data.status === 'error') {
      showResult('bad', data.message || S.serverError, '', '', 'error');
      offerUndo(null);
      feedback('bad');
      return;
    }
    const tone = OK.includes(data.status) ? 'ok' : WARN.includes(data.status) ? 'warn' : 'bad';
    // The API's message usually names the person and the first scan; say nothing twice.
    const title = data.message || S.results[data.status] || data.status;
    const name = data.name && !title.includes(data.name) ? data.name : '';
    const details = [];
    if (data.session && data.session.title) details.push(data.session.title);
    if (data.first_at && tone !== 'ok' && !data.message) {
      details.push(S.firstScan + ' ' + time(data.first_at) + (data.first_gate ? ' · ' + data.first_gate : ''));
    }
    showResult(tone, title, name, details.join(' · '), data.status);
    feedback(tone);
    if (data.counters) showCounters(data.counters);
    else refreshCountersSoon();
    offerUndo(data);
  }

  function offerUndo(data) {
    clearTimeout(state.undoTimer);
    const left = data && data.undo_until ? Date.parse(data.undo_until) - Date.now() : 0;
    state.undoScan = left > 0 ? data.scan_id : null;
    el.undo.hidden = !(left > 0);
    if (left > 0) state.undoTimer = setTimeout(() => offerUndo(null), left);
  }

  async function undo() {
    const scanId = state.undoScan;
    offerUndo(null);
    if (!scanId) return;
    await send('undo', { scan_id: scanId }, (status, data) => {
      const done = status === 200 && data.status === 'undone';
      showResult(done ? 'info' : 'bad', data.message || (done ? S.undone : S.serverError), '', '', data.status || 'error');
      feedback(done ? 'info' : 'bad');
      refreshCounters();
    });
  }

  function beep(tone) {
    if (!audio || audio.state !== 'running') return;
    // ok: one high beep; already: two middle ones; refused: one long low one.
    const notes = { ok: [[1320, 0, 0.12]], warn: [[660, 0, 0.1], [660, 0.16, 0.1]], info: [[880, 0, 0.1]] }[tone] || [[220, 0, 0.4]];
    for (const [frequency, start, length] of notes) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.25;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(audio.currentTime + start);
      oscillator.stop(audio.currentTime + start + length);
    }
  }

  function feedback(tone) {
    beep(tone);
    if (navigator.vibrate) navigator.vibrate(tone === 'ok' || tone === 'info' ? 80 : [200, 100, 200]);
  }

  // Browsers start sound only after a tap; the first tap anywhere unlocks it.
  function unlockAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') audio.resume();
    } catch (error) { /* no Web Audio: vibration and the panel still say it */ }
  }

  // Counters and sessions ---------------------------------------------------------------------

  function showCounters(counters) {
    for (const key of ['checked_in', 'registered', 'walk_ins', 'not_arrived']) {
      const target = $('count-' + key);
      if (target && counters[key] !== undefined && counters[key] !== null) target.textContent = counters[key];
    }
  }

  function showSessions(sessions) {
    const key = JSON.stringify(sessions);
    if (key === state.sessions) return;
    state.sessions = key;
    const chosen = el.session.value;
    const current = sessions.find((session) => session.current);
    const label = (session) => session.title || time(session.starts_at) + '–' + time(session.ends_at);
    const automatic = new Option(current ? S.sessionAuto + ': ' + label(current) : S.sessionAuto, '');
    const options = sessions.map((session) => new Option(
      session.current ? label(session) + ' (' + S.sessionNow + ')' : label(session), String(session.id)));
    el.session.replaceChildren(automatic, ...options);
    if (sessions.some((session) => String(session.id) === chosen)) el.session.value = chosen;
  }

  // Without counters in the answer, one refresh after a burst of scans, not one per scan.
  function refreshCountersSoon() {
    clearTimeout(state.countersTimer);
    state.countersTimer = setTimeout(refreshCounters, 2000);
  }

  async function refreshCounters() {
    if (!state.event || document.hidden) return;
    const query = new URLSearchParams({ event: state.event });
    if (el.session.value) query.set('session', el.session.value);
    try {
      const { status, data } = await call('GET', 'counters?' + query);
      if (status !== 200) return;
      showCounters(data);
      if (Array.isArray(data.sessions)) showSessions(data.sessions);
      const heading = $('scanner-event');
      if (data.event && !heading.textContent) heading.textContent = data.event.title; // paired phones
    } catch (error) { /* offline for a moment: the next refresh catches up */ }
  }

  // Camera ------------------------------------------------------------------------------------

  function getDetector() {
    if (!detectorPromise) {
      detectorPromise = (async () => {
        const api = window.BarcodeDetectionAPI;
        if (!api) throw new Error('barcode-detector ponyfill not loaded');
        // Our copy of the wasm: the library's default is a CDN (slow or blocked in China, and
        // outside the page's Content-Security-Policy).
        await api.prepareZXingModule({
          overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? config.wasmUrl : prefix + path) },
          fireImmediately: true,
        });
        return new api.BarcodeDetector({ formats: ['qr_code'] });
      })();
      detectorPromise.catch(() => { detectorPromise = null; }); // a later tap tries again
    }
    return detectorPromise;
  }

  async function startCamera() {
    if (state.stream) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      el.cameraStatus.textContent = S.cameraUnsupported;
      return;
    }
    el.cameraToggle.disabled = true;
    el.cameraStatus.textContent = S.cameraStarting;
    try {
      try {
        state.detector = await getDetector();
      } catch (error) {
        el.cameraStatus.textContent = S.scannerFailed;
        return;
      }
      try {
        state.stream = await navigator.mediaDevices.getUserMedia({
          audio: false,
          video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
        });
      } catch (error) {
        el.cameraStatus.textContent = S.cameraDenied;
        return;
      }
      el.video.srcObject = state.stream;
      el.video.play().catch(() => {}); // autoplay muted playsinline: play() is a formality
      el.cameraToggle.textContent = S.cameraStop;
      el.cameraStatus.textContent = S.ready;
      nextFrame();
    } finally {
      el.cameraToggle.disabled = false;
    }
  }

  function stopCamera() {
    clearTimeout(state.timer);
    if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
    state.stream = null;
    el.video.srcObject = null;
    el.cameraToggle.textContent = S.cameraStart;
    el.cameraStatus.textContent = S.cameraOff;
  }

  function nextFrame() {
    clearTimeout(state.timer);
    state.timer = setTimeout(detectFrame, DETECT_EVERY_MS);
  }

  async function detectFrame() {
    if (!state.stream) return;
    if (el.video.readyState >= 2) {
      try {
        const codes = await state.detector.detect(el.video);
        codes.forEach((code) => cameraCode(code.rawValue));
      } catch (error) { /* an unreadable frame: try the next one */ }
    }
    if (state.stream) nextFrame();
  }

  function cameraCode(code) {
    const now = Date.now();
    const last = state.seen.get(code);
    if (last !== undefined && now - last < REPEAT_MS) {
      state.seen.set(code, now); // still in view: keep ignoring it
      return;
    }
    if (state.busy) return; // not recorded, so it is read again once the answer is in
    if (state.seen.size > 100) state.seen.clear();
    state.seen.set(code, now);
    submitScan({ code: code.trim() });
  }

  async function photoSource(file) {
    if (!window.createImageBitmap) return file;
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, PHOTO_MAX_PX / Math.max(bitmap.width, bitmap.height));
    if (scale === 1) return bitmap;
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return canvas;
  }

  async function scanPhoto() {
    const file = el.photo.files[0];
    el.photo.value = ''; // the same photo can be chosen again
    if (!file) return;
    showResult('pending', S.sending);
    let codes = [];
    try {
      const detector = await getDetector();
      codes = await detector.detect(await photoSource(file));
    } catch (error) { /* not an image the browser can read: same answer as no code */ }
    if (!codes.length) {
      showResult('bad', S.photoNoCode, '', '', 'no_code');
      feedback('bad');
      return;
    }
    await submitScan({ code: codes[0].rawValue.trim() });
  }

  // Manual entry, search, walk-ins ------------------------------------------------------------

  async function submitManual(event) {
    event.preventDefault();
    const code = el.code.value.trim().toUpperCase().replace(/\s+/g, '');
    if (!code) return;
    const answer = await submitScan({ code });
    if (answer && answer.status === 200 && [...OK, ...WARN].includes(answer.data.status)) el.code.value = '';
  }

  function searchMessage(text) {
    const item = document.createElement('li');
    item.className = 'empty';
    item.textContent = text;
    el.results.replaceChildren(item);
  }

  function searchRow(row) {
    const item = document.createElement('li');
    const who = document.createElement('span');
    const name = document.createElement('strong');
    const meta = document.createElement('span');
    const button = document.createElement('button');
    who.className = 'who';
    meta.className = 'meta';
    name.textContent = row.name;
    meta.textContent = [row.phone_tail ? S.phoneTail + ' ' + row.phone_tail : '',
      S.registration[row.status] || row.status || '',
      row.checked_in ? S.results.already_checked_in : ''].filter(Boolean).join(' · ');
    who.append(name, meta);
    button.type = 'button';
    button.textContent = S.checkIn;
    button.addEventListener('click', () => submitScan({ registration: row.registration }).then(search));
    item.append(who, button);
    return item;
  }

  async function search() {
    const q = el.query.value.trim();
    const seq = ++state.searchSeq;
    if (!q) {
      el.results.replaceChildren();
      return;
    }
    try {
      const { status, data } = await call('GET', 'search?' + new URLSearchParams({ event: state.event, q }));
      if (seq !== state.searchSeq) return; // a newer search is on its way
      if (status !== 200) searchMessage(data.message || S.searchFailed);
      else if (!data.results || !data.results.length) searchMessage(S.searchEmpty);
      else el.results.replaceChildren(...data.results.map(searchRow));
    } catch (error) {
      if (seq === state.searchSeq) searchMessage(S.searchFailed);
    }
  }

  async function submitWalkIn(event) {
    event.preventDefault();
    const body = {
      event: state.event, name: $('walkin-name').value.trim(), phone: $('walkin-phone').value.trim(),
      gate: el.gate.value.trim(), nonce: newNonce(),
    };
    const idNumber = $('walkin-id').value.trim().toUpperCase();
    if (idNumber) body.id_number = idNumber;
    const answer = await send('walk-in', body, showScan);
    if (answer && answer.status === 200 && OK.includes(answer.data.status)) el.walkIn.reset();
  }

  // Device pairing: the token lives in localStorage, never in a URL ----------------------------

  function showPairing(message) {
    stopCamera();
    el.app.hidden = true;
    el.pairing.hidden = false;
    el.pairingError.hidden = !message;
    el.pairingError.textContent = message || '';
  }

  function tokenRejected() {
    store(KEYS.token, '');
    state.token = '';
    showPairing(S.tokenRejected);
  }

  function pair(event) {
    event.preventDefault();
    const eventId = $('pairing-event').value.trim();
    store(KEYS.token, $('pairing-token').value.trim());
    store(KEYS.event, eventId);
    location.replace('?event=' + encodeURIComponent(eventId)); // reload with the event's title
  }

  // Returns whether the scanner can start; otherwise the pairing form is shown.
  function deviceReady() {
    el.pairing.addEventListener('submit', pair);
    el.unpair.addEventListener('click', () => {
      store(KEYS.token, '');
      store(KEYS.event, '');
      showPairing('');
    });
    state.token = stored(KEYS.token);
    const pairedEvent = stored(KEYS.event);
    const urlEvent = new URLSearchParams(location.search).get('event') || '';
    if (state.token && pairedEvent && !urlEvent) {
      location.replace('?event=' + encodeURIComponent(pairedEvent));
      return false;
    }
    // A link for another event than the paired one means a new token is coming.
    if (!state.token || !pairedEvent || urlEvent !== pairedEvent) {
      showPairing('');
      return false;
    }
    state.event = Number(pairedEvent);
    return true;
  }

  // Start -------------------------------------------------------------------------------------

  function init() {
    if (wechat) $('wechat-notice').hidden = false;
    document.addEventListener('pointerdown', unlockAudio, { once: true });
    document.addEventListener('keydown', unlockAudio, { once: true });
    if (config.mode === 'device' && !deviceReady()) return;
    el.app.hidden = false;

    el.cameraToggle.addEventListener('click', () => (state.stream ? stopCamera() : startCamera()));
    el.undo.addEventListener('click', undo);
    el.manual.addEventListener('submit', submitManual);
    el.photo.addEventListener('change', scanPhoto);
    el.search.addEventListener('submit', (event) => { event.preventDefault(); search(); });
    let searchTimer = 0;
    el.query.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 300); });
    if (el.walkIn) el.walkIn.addEventListener('submit', submitWalkIn);
    el.session.addEventListener('change', refreshCounters);
    el.gate.value = stored(KEYS.gate);
    el.gate.addEventListener('change', () => store(KEYS.gate, el.gate.value.trim()));
    document.addEventListener('visibilitychange', () => {
      // Give the camera back while the page is hidden; take it again on return.
      if (document.hidden && state.stream) {
        state.resume = true;
        stopCamera();
      } else if (!document.hidden) {
        if (state.resume) startCamera();
        state.resume = false;
        refreshCounters();
      }
    });

    refreshCounters();
    setInterval(refreshCounters, COUNTERS_EVERY_MS);
    getDetector().catch(() => { el.cameraStatus.textContent = S.scannerFailed; }); // fetch the wasm now
    // WeChat's browser gets the notice and manual entry; elsewhere start the camera without a
    // tap when the permission is already there (Safari has no permissions query: tap it).
    if (!wechat && navigator.permissions) {
      navigator.permissions.query({ name: 'camera' })
        .then((permission) => { if (permission.state === 'granted') startCamera(); })
        .catch(() => {});
    }
  }

  init();
}());
