/*! Fanfare video recorder. Loaded only when a visitor chooses to add a video: by the widget's
    collect form (through embed.js) and by the collection page (/c/{site}). It records from the
    camera (MediaRecorder) or takes a file, shows a preview, draws a poster frame, and uploads
    the video in parts that survive a dropped connection. Plain DOM and classes the widget's
    and the collection page's stylesheets define: no eval, no inline script or style, no HTML
    parsed, so it runs under a strict CSP with Trusted Types required. A page with a CSP needs
    `media-src blob:` for the preview. */

// The server's limits (PRODUCT.md, "Video testimonials").
var LIMIT_SECONDS = 120;
var MAX_BYTES = 50 * 1024 * 1024;
// The server takes WebM and MP4. MP4 first where the browser records H.264 with AAC, which
// every browser plays; then WebM (Chromium and Firefox); MP4 of the browser's choosing last
// (Safari records nothing else; Chromium's would carry Opus, which fewer players take).
var TYPES = ['video/mp4;codecs=avc1,mp4a.40.2', 'video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus',
  'video/webm', 'video/mp4'];
var ACCEPT = 'video/webm,video/mp4';
// A request that fails is sent again after 1, 2, 4, 8 and 16 s; then the visitor may try again.
var RETRIES = 5;
// Below this level for this long, the microphone is said to be silent.
var SILENCE_LEVEL = 0.01;
var SILENCE_MS = 1500;

function element(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

// `action` names what it does (`data-action`), for page styles and tests.
function button(action, className, text, onclick) {
  var node = element('button', 'fanfare-button' + (className ? ' ' + className : ''), text);
  node.type = 'button';
  node.setAttribute('data-action', action);
  node.setAttribute('part', 'button');
  node.addEventListener('click', onclick);
  return node;
}

function clock(seconds) {
  var whole = Math.max(0, Math.round(seconds));
  return Math.floor(whole / 60) + ':' + String(whole % 60).padStart(2, '0');
}

function wait(ms) {
  return new Promise(function (done) { setTimeout(done, ms); });
}

/** The recording type this browser offers and the server takes, or '' to let it choose. */
export function recordingType() {
  var recorder = window.MediaRecorder;
  if (!recorder || !recorder.isTypeSupported) return '';
  for (var i = 0; i < TYPES.length; i++) if (recorder.isTypeSupported(TYPES[i])) return TYPES[i];
  return '';
}

/**
 * Renders the recorder into `container` (emptied first). `options`:
 * - `api`: the Fanfare server's origin ('' on the server's own pages), `site`: the site's slug;
 * - `texts`: the site's texts in the visitor's language (`collect.video_*` are used);
 * - `onchange(id)`: called with the upload's id once the video is stored, with '' while a video
 *   is on its way (recording or uploading: not ready to send), and with null when there is none;
 * - `video`: the id of a video this form already has (a refused form shown again), if any.
 * Returns `{ close() }`, which stops the camera and any upload.
 */
export function open(container, options) {
  var texts = options.texts || {};
  // Always called with a literal id (a widget test checks each against the English table).
  var t = function (id) { return texts['collect.video_' + id] || ''; };
  var base = (options.api || '') + '/api/v1/sites/' + encodeURIComponent(options.site) + '/uploads';
  var notify = options.onchange || function () {};

  var canRecord = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);

  // Everything is built once; each state shows its part (`hidden`).
  var root = element('div', 'fanfare-rec');
  root.setAttribute('part', 'recorder');
  root.setAttribute('role', 'group');
  root.setAttribute('aria-label', t('add'));
  var intro = element('p', 'fanfare-hint', t('intro'));
  // Opened by the buttons below, which say what it is for.
  var file = element('input');
  file.type = 'file';
  file.accept = ACCEPT;
  file.hidden = true;
  var record = button('record', '', t('record'), startCamera);
  var choose = button('file', 'fanfare-secondary', t('file'), function () { file.click(); });
  var start = element('div', 'fanfare-rec-actions');
  start.append(record, choose, file);

  var stage = element('div', 'fanfare-rec-stage');
  var live = element('video', 'fanfare-rec-video');
  live.muted = true;
  live.playsInline = true;
  live.setAttribute('playsinline', '');
  live.setAttribute('aria-label', t('camera'));
  var preview = element('video', 'fanfare-rec-video');
  preview.controls = true;
  preview.playsInline = true;
  preview.setAttribute('playsinline', '');
  preview.preload = 'auto';
  preview.setAttribute('aria-label', t('preview'));
  var count = element('div', 'fanfare-rec-count');
  count.setAttribute('aria-hidden', 'true');
  stage.append(live, preview, count);

  var timer = element('div', 'fanfare-rec-time');
  var mic = element('div', 'fanfare-rec-mic');
  var level = element('meter', 'fanfare-rec-level');
  level.min = 0;
  level.max = 1;
  level.setAttribute('aria-hidden', 'true');
  var micText = element('span');
  // Said when the microphone goes quiet (it changes only then, and when sound comes back).
  micText.setAttribute('role', 'status');
  mic.append(level, micText);

  var bar = element('div', 'fanfare-rec-progress');
  var progress = element('progress');
  progress.max = 100;
  progress.value = 0;
  progress.id = 'fanfare-rec-progress-' + Math.random().toString(36).slice(2);
  progress.setAttribute('aria-label', t('uploading'));
  // Not an <output> (a status region): it changes with every progress event, and the <progress>
  // beside it already tells assistive technology how far the upload is.
  var percent = element('span');
  percent.setAttribute('aria-hidden', 'true');
  bar.append(progress, percent);

  var stop = button('stop', '', t('stop'), stopRecording);
  var retake = button('retake', 'fanfare-secondary', t('retake'), function () { reset(); startCamera(); });
  var retry = button('retry', '', t('retry'), function () { send(current); });
  var another = button('file', 'fanfare-secondary', t('file'), function () { file.click(); });
  var again = function () { reset(); (canRecord ? record : choose).focus(); };
  var cancel = button('cancel', 'fanfare-secondary', t('cancel'), again);
  var remove = button('remove', 'fanfare-secondary', t('remove'), again);
  var actions = element('div', 'fanfare-rec-actions');
  actions.append(stop, retry, retake, another, cancel, remove);

  var status = element('p', 'fanfare-hint fanfare-rec-status');
  status.setAttribute('role', 'status');
  var alert = element('p', 'fanfare-error');
  alert.setAttribute('role', 'alert');
  root.append(intro, start, stage, timer, mic, bar, actions, status, alert);
  container.replaceChildren(root);

  var stream = null;
  var recorder = null;
  var audio = null;
  var ticking = 0;
  var watching = 0;
  var previewUrl = '';
  var xhr = null;
  // Each new attempt (record, file, re-take, cancel) outdates whatever an older one still does.
  var attempt = 0;
  // What is being sent ({ blob, poster, id, size, received, key, attempt }), for `retry`.
  var current = null;

  function show(state) {
    // choose | live | review | sending | done | failed (to try again) | refused (by the server)
    var is = function () { return [].indexOf.call(arguments, state) >= 0; };
    root.setAttribute('data-state', state);
    intro.hidden = !is('choose');
    start.hidden = !is('choose');
    record.hidden = !canRecord;
    // (A video stored before this page, such as a form shown again, has no preview here.)
    stage.hidden = !(is('live') || (previewUrl && !is('choose')));
    live.hidden = !is('live');
    preview.hidden = is('live');
    count.hidden = true;
    timer.hidden = !is('live');
    mic.hidden = !is('live');
    bar.hidden = !is('sending');
    stop.hidden = true;
    retry.hidden = !is('failed');
    retake.hidden = !(canRecord && is('review', 'sending', 'done', 'failed', 'refused'));
    another.hidden = !is('review', 'sending', 'done', 'failed', 'refused');
    cancel.hidden = !is('live', 'sending', 'failed');
    remove.hidden = !is('done', 'refused');
  }

  function say(text) { status.textContent = text; }
  function refuse(text) {
    alert.textContent = text;
    alert.hidden = !text;
  }

  function stopCamera() {
    clearInterval(ticking);
    clearInterval(watching);
    ticking = watching = 0;
    if (recorder && recorder.state !== 'inactive') {
      recorder.ondataavailable = recorder.onstop = null;
      recorder.stop();
    }
    recorder = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    live.srcObject = null;
    if (audio) audio.close().catch(function () {});
    audio = null;
  }

  function forgetPreview() {
    preview.removeAttribute('src');
    preview.load();
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = '';
  }

  /** Back to the start: no camera, no upload, no video. */
  function reset() {
    attempt++;
    stopCamera();
    if (xhr) xhr.abort();
    xhr = null;
    // A cancelled or re-taken upload is not resumed later.
    if (current && current.key) remember(current.key, null);
    current = null;
    forgetPreview();
    say('');
    refuse('');
    show('choose');
    notify(null);
  }

  function startCamera() {
    var mine = ++attempt;
    refuse('');
    if (!canRecord) return refuse(t('unsupported'));
    say(t('starting'));
    var devices = navigator.mediaDevices;
    devices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: true })
      .catch(function (error) {
        // A camera without a microphone still records, silently (and says so).
        if (error && error.name === 'NotFoundError') return devices.getUserMedia({ video: true });
        throw error;
      })
      .then(function (granted) {
        if (mine !== attempt) return granted.getTracks().forEach(function (track) { track.stop(); });
        stream = granted;
        // Taken out of the page (the form sent, the dialog closed): the camera goes off.
        watching = setInterval(function () {
          if (!root.isConnected || !root.getClientRects().length) reset();
        }, 500);
        live.srcObject = stream;
        live.play().catch(function () {});
        timer.textContent = clock(0) + ' / ' + clock(LIMIT_SECONDS);
        timer.classList.remove('is-on');
        show('live');
        notify('');
        listen();
        countdown(mine);
      }, function (error) {
        if (mine !== attempt) return;
        say('');
        var name = error && error.name;
        refuse(name === 'NotAllowedError' || name === 'SecurityError' ? t('denied')
          : name === 'NotFoundError' || name === 'OverconstrainedError' ? t('no_camera') : t('camera_failed'));
        show('choose');
        record.focus();
      });
  }

  /** The microphone's level, and a word when nothing comes in. */
  function listen() {
    var tracks = stream.getAudioTracks();
    if (!tracks.length) {
      level.hidden = true;
      micText.textContent = t('no_mic');
      mic.className = 'fanfare-rec-mic is-silent';
      return;
    }
    level.hidden = false;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = new Context();
    audio.resume().catch(function () {});
    var analyser = audio.createAnalyser();
    analyser.fftSize = 1024;
    audio.createMediaStreamSource(stream).connect(analyser);
    var samples = new Float32Array(analyser.fftSize);
    var heard = performance.now();
    var silent = null;
    var sample = function () {
      if (!audio) return;
      analyser.getFloatTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
      var rms = Math.sqrt(sum / samples.length);
      level.value = Math.min(1, rms * 4);
      var now = performance.now();
      if (rms > SILENCE_LEVEL && !tracks[0].muted) heard = now;
      var quiet = now - heard > SILENCE_MS;
      if (quiet !== silent) {
        silent = quiet;
        micText.textContent = quiet ? t('mic_silent') : t('mic_ok');
        mic.className = 'fanfare-rec-mic' + (quiet ? ' is-silent' : '');
      }
      setTimeout(sample, 100);
    };
    sample();
  }

  function countdown(mine) {
    var left = 3;
    var step = function () {
      if (mine !== attempt) return;
      if (!left) {
        count.hidden = true;
        return begin(mine);
      }
      count.hidden = false;
      count.textContent = String(left);
      say(t('countdown').replace('{n}', String(left)));
      left--;
      setTimeout(step, 1000);
    };
    step();
  }

  function begin(mine) {
    var type = recordingType();
    var chunks = [];
    try {
      // 2.5 Mb/s of picture and 128 kb/s of sound: two minutes stay well under the 50 MB limit
      // (some browsers would record more by default).
      var settings = { videoBitsPerSecond: 2500000, audioBitsPerSecond: 128000 };
      if (type) settings.mimeType = type;
      recorder = new MediaRecorder(stream, settings);
    } catch (error) {
      stopCamera();
      show('choose');
      return refuse(t('unsupported'));
    }
    recorder.ondataavailable = function (event) { if (event.data && event.data.size) chunks.push(event.data); };
    // The camera gone mid-recording (unplugged, taken by another app).
    recorder.onerror = function () {
      if (mine !== attempt) return;
      reset();
      refuse(t('camera_failed'));
    };
    recorder.onstop = function () {
      if (mine !== attempt) return;
      var blob = new Blob(chunks, { type: (recorder && recorder.mimeType) || type || 'video/webm' });
      stopCamera();
      review(blob, mine);
    };
    var started = performance.now();
    try {
      recorder.start(1000);
    } catch (error) {
      // The camera must not stay on behind a recorder that never started.
      reset();
      return refuse(t('camera_failed'));
    }
    stop.hidden = false;
    stop.focus();
    timer.classList.add('is-on');
    say(t('recording'));
    var tick = function () {
      var seconds = (performance.now() - started) / 1000;
      timer.textContent = t('recording') + ' ' + clock(Math.min(seconds, LIMIT_SECONDS)) + ' / ' + clock(LIMIT_SECONDS);
      // Half a second early: the file must not come out a hair over the server's limit.
      if (seconds >= LIMIT_SECONDS - 0.5) stopRecording();
    };
    tick();
    ticking = setInterval(tick, 250);
  }

  function stopRecording() {
    clearInterval(ticking);
    ticking = 0;
    stop.hidden = true;
    if (recorder && recorder.state !== 'inactive') recorder.stop();
  }

  /** A recording or a chosen file: shown, its poster drawn, then sent. */
  function review(blob, mine) {
    if (blob.size > MAX_BYTES) {
      show('choose');
      notify(null);
      return refuse(t('too_large').replace('{n}', String(MAX_BYTES / 1048576)));
    }
    forgetPreview();
    previewUrl = URL.createObjectURL(blob);
    // No poster after five seconds (a file this browser cannot decode): the video goes without.
    var poster = new Promise(function (done) {
      setTimeout(done, 5000, null);
      var drawn = false;
      var draw = function () {
        if (drawn || !preview.videoWidth) return;
        drawn = true;
        var scale = Math.min(1, 1280 / Math.max(preview.videoWidth, preview.videoHeight));
        var canvas = document.createElement('canvas');
        canvas.width = Math.round(preview.videoWidth * scale);
        canvas.height = Math.round(preview.videoHeight * scale);
        try {
          canvas.getContext('2d').drawImage(preview, 0, 0, canvas.width, canvas.height);
          canvas.toBlob(done, 'image/jpeg', 0.85);
        } catch (error) { done(null); }
        // Chromium's recordings carry no duration: a seek past the end makes it find one, so
        // the preview's controls show the length and can be scrubbed.
        if (preview.duration === Infinity) {
          preview.addEventListener('durationchange', function () { preview.currentTime = 0; }, { once: true });
          preview.currentTime = 1e101;
        }
      };
      preview.addEventListener('loadeddata', draw, { once: true });
      preview.addEventListener('error', function () { done(null); }, { once: true });
    });
    preview.src = previewUrl;
    show('review');
    retake.focus();
    // A chosen file sent again (after a reload) continues where it stopped.
    var key = blob.name ? ['fanfare:video', options.site, blob.name, blob.size, blob.lastModified].join(':') : '';
    send({ blob: blob, poster: poster, id: '', key: key, attempt: mine });
  }

  file.addEventListener('change', function () {
    var chosen = file.files && file.files[0];
    file.value = '';
    if (!chosen) return;
    // Checked first: a wrong file keeps the video already added.
    if (chosen.type && ACCEPT.split(',').indexOf(chosen.type) < 0) return refuse(t('not_video'));
    if (chosen.size > MAX_BYTES) return refuse(t('too_large').replace('{n}', String(MAX_BYTES / 1048576)));
    reset();
    var mine = attempt;
    notify('');
    review(chosen, mine);
  });

  // The server's answer, parsed, with its status.
  function call(method, path, body, type, onprogress) {
    return new Promise(function (resolve, reject) {
      var request = xhr = new XMLHttpRequest();
      request.open(method, base + path);
      if (type) request.setRequestHeader('Content-Type', type);
      if (onprogress) request.upload.onprogress = function (event) { onprogress(event.loaded); };
      request.onload = function () {
        var json = null;
        try { json = JSON.parse(request.responseText); } catch (error) { /* not JSON */ }
        resolve({ status: request.status, json: json });
      };
      // A stalled connection fails (and is tried again) instead of hanging the form.
      request.timeout = 60000;
      request.onerror = request.ontimeout = function () { reject(new Error('network')); };
      request.onabort = function () { reject(new Error('aborted')); };
      request.send(body);
    });
  }

  // The server's words for a refusal: the field's message, else its message.
  function refusal(answer, field) {
    var json = answer.json || {};
    return (json.fields && json.fields[field]) || json.message || t('failed');
  }

  // What the server answered, when it is not what was asked: `final` when this video will never
  // do (its refusal), else worth another try later (busy, rate limited, timed out).
  function Refused(message, final) {
    this.message = message;
    this.final = final;
  }
  function unwanted(answer, field) {
    var later = answer.status >= 500 || answer.status === 408 || answer.status === 429;
    return new Refused(refusal(answer, field), !later);
  }

  // This browser's own note of a file's unfinished upload ({id, size}); null when there is none.
  function remember(key, value) {
    try {
      if (value === undefined) return JSON.parse(sessionStorage.getItem(key));
      if (value) sessionStorage.setItem(key, JSON.stringify(value));
      else sessionStorage.removeItem(key);
    } catch (error) { return null; }
  }

  async function send(job) {
    if (!job) return;
    current = job;
    var mine = job.attempt;
    var blob = job.blob;
    var alive = function () { return mine === attempt; };
    refuse('');
    say(t('uploading'));
    show('sending');
    var shown = function (sent) {
      var value = blob.size ? Math.min(100, Math.floor((sent / blob.size) * 100)) : 100;
      progress.value = value;
      percent.textContent = value + ' %';
    };
    shown(0);
    // A request sent again after 1, 2, 4, 8 and 16 s (saying so) while the network or a busy
    // server fails it, `between` run before each new try; its answer, or why it stopped.
    var patiently = async function (request, between) {
      for (var tries = 0; ; tries++) {
        var answer = await request().catch(function () { return null; });
        var later = !answer || answer.status >= 500 || answer.status === 408 || answer.status === 429;
        if (!later || !alive()) return answer;
        if (tries >= RETRIES) throw answer ? unwanted(answer, 'video') : new Error('network');
        say(t('retrying'));
        await wait(1000 * Math.pow(2, tries));
        if (!alive()) return null;
        // The list of parts may fail too while the network is down: the next try decides.
        if (between) await between().catch(function () {});
        say(t('uploading'));
      }
    };
    // Which parts the server holds, when it says.
    var holding = function () {
      return call('GET', '/' + job.id + '/parts').then(function (held) {
        if (held.status === 200 && held.json && held.json.received) job.received = held.json.received;
        return held;
      });
    };
    try {
      var noted = !job.id && job.key && remember(job.key);
      if (noted && noted.id) {
        job.id = noted.id;
        job.size = noted.size;
      }
      // Sent before (tried again, a file chosen again): only the parts the server lacks go.
      if (job.id) {
        var held = await patiently(holding);
        if (held.status === 404) job.id = '';
        else if (held.status !== 200) throw unwanted(held, 'video');
      }
      if (!job.id) {
        var begun = await patiently(function () {
          return call('POST', '/resumable', JSON.stringify({ size: blob.size }), 'application/json');
        });
        if (begun.status !== 201 || !begun.json) throw unwanted(begun, 'video');
        job.id = begun.json.id;
        job.size = begun.json.part_bytes > 0 ? begun.json.part_bytes : 1048576;
        job.received = [];
        if (job.key) remember(job.key, { id: job.id, size: job.size });
      }
      var parts = Math.max(1, Math.ceil(blob.size / job.size));
      for (var index = 0; index < parts; index++) {
        if (!alive()) return;
        var from = index * job.size;
        var before = job.received.length * job.size;
        // After a failure the server is asked what it holds: it may have the part after all.
        var put = await patiently(function () {
          if (job.received.indexOf(index) >= 0) return Promise.resolve({ status: 204 });
          return call('PUT', '/' + job.id + '/parts/' + index, blob.slice(from, from + job.size),
            'application/octet-stream', function (loaded) { shown(before + loaded); });
        }, holding);
        if (!alive()) return;
        if (put.status >= 300) throw unwanted(put, 'video');
        if (job.received.indexOf(index) < 0) job.received.push(index);
        shown(Math.min(blob.size, job.received.length * job.size));
      }
      if (!alive()) return;
      var finished = await patiently(function () { return call('POST', '/' + job.id + '/complete', null, null); });
      if (!alive()) return;
      if (finished.status !== 201 && finished.status !== 200) throw unwanted(finished, 'video');
      var poster = await job.poster;
      if (poster && alive()) {
        var sentPoster = await patiently(function () {
          return call('PUT', '/' + job.id + '/poster', poster, 'image/jpeg');
        }).catch(function () { return null; });
        // A video without its poster still plays: say why, and keep it.
        if (sentPoster && sentPoster.status >= 400) refuse(refusal(sentPoster, 'poster'));
      }
      if (!alive()) return;
      xhr = null;
      if (job.key) remember(job.key, null);
      show('done');
      var seconds = finished.json && finished.json.duration_ms ? finished.json.duration_ms / 1000 : 0;
      say(t('added') + (seconds ? ' (' + clock(seconds) + ')' : ''));
      notify(job.id);
    } catch (error) {
      if (!alive()) return;
      xhr = null;
      say('');
      var refused = !!error.final;
      refuse(error instanceof Refused ? error.message : t('failed'));
      // Refused: this video will never do, and the form may go without it. Else it can be
      // sent again from where it stopped, and the form waits for it.
      show(refused ? 'refused' : 'failed');
      if (refused) {
        if (job.key) remember(job.key, null);
        current = null;
        notify(null);
      }
    }
  }

  show('choose');
  if (!canRecord) refuse(t('unsupported'));
  if (options.video) {
    show('done');
    say(t('added'));
    notify(options.video);
  } else {
    // The button that opened it is gone: the first thing to press takes the focus.
    (canRecord ? record : choose).focus();
  }
  return {
    close: function () {
      reset();
      container.replaceChildren();
    }
  };
}
