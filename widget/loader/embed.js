/* Fanfare embed loader. Reads its settings from its own script tag, gives each
    [data-fanfare] element a shadow root, and fills it only when it nears the viewport: the
    server-rendered view for wall, carousel and badge (views.js, no WebAssembly), the widget
    for the forms and the floating button. Defines no global but window.Fanfare. */
(function () {
  'use strict';
  var script = document.currentScript;
  var existing = window.Fanfare;
  if (!script || (existing && existing.loaded)) return;

  var data = script.dataset;
  var base = new URL(script.src).origin;
  var site = data.site;
  var MODES = ['wall', 'carousel', 'badge', 'collect', 'refer'];
  var VIEWS = ['wall', 'carousel', 'badge'];
  var widget, views;

  if (!site) {
    console.error('Fanfare: add data-site="your-site-slug" to the embed.js script tag.');
    return;
  }

  // First-party storage only; a browser that refuses it simply gets no referral memory.
  function store(key, value) {
    try {
      if (value === undefined) return JSON.parse(localStorage.getItem(key));
      localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { return null; }
  }

  // A random id for this browser, kept by this site only: referral fraud checks compare it.
  var device = store('fanfare:device');
  if (!device && window.crypto && crypto.getRandomValues) {
    device = [].map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join('');
    store('fanfare:device', device);
  }

  // Attribution only ever comes from an explicit ?ref=CODE in the address.
  var REF_KEY = 'fanfare:ref:' + site;
  var remembered = store(REF_KEY);
  function referral() {
    return remembered && remembered.until > Date.now() ? remembered.code : undefined;
  }
  function post(path, body) {
    return fetch(base + '/api/v1/sites/' + encodeURIComponent(site) + path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    });
  }
  var arrived = (new URLSearchParams(location.search).get('ref') || '').toUpperCase();
  var visiting = Promise.resolve();
  if (/^[2-9A-HJKMNP-TV-Z]{8}$/.test(arrived) && referral() !== arrived) {
    // One visit per code: reloads and later pages of the visit do not count again. Its answer
    // says how long to keep the code and whether it replaces a code still in force (the site's
    // rule: first or last touch); conversions and mounts wait for it, so they carry the code
    // the rule chose, from a browser the server has seen visit.
    // They wait three seconds at most: a visit the network holds must not hold up the page,
    // and meanwhile a browser with no code of its own carries this one, on this page only.
    var prior = remembered, inForce = referral(), answered = false;
    visiting = Promise.race([post('/referrals/' + arrived + '/visits', { device: device }).then(function (response) {
      answered = true;
      var headers = response.headers;
      remembered = prior;
      if (!response.ok || (inForce && headers.get('fanfare-referral-attribution') !== 'last')) return;
      // A double-sided programme sends the code the friend is offered, shown while it counts.
      remembered = { code: arrived, until: Date.now() + (parseInt(headers.get('fanfare-referral-days'), 10) || 30) * 864e5,
        offer: headers.get('fanfare-friend-coupon') };
      store(REF_KEY, remembered);
    }, function () { answered = true; }), new Promise(function (done) { setTimeout(done, 3000); })]).then(function () {
      if (!answered && !inForce) remembered = { code: arrived, until: Date.now() + 864e5 };
    });
  }

  function config() {
    var limit = parseInt(data.limit, 10);
    return {
      api: base,
      site: site,
      lang: data.lang || document.documentElement.lang || navigator.language || 'en',
      theme: data.theme || 'auto',
      limit: limit > 0 ? limit : undefined,
      tags: data.tags || undefined,
      page_url: location.href,
      ref: referral(),
      device: device || undefined,
      // The collect form's video recorder (recorder.js), downloaded only when a visitor asks
      // for it; `onchange(false)` when it cannot be.
      recorder: function (box, texts, onchange) {
        file('__FANFARE_RECORDER__').then(function (recorder) {
          recorder.open(box, { api: base, site: site, texts: texts, onchange: onchange });
        }, function () { onchange(false); });
      }
    };
  }

  function file(name) {
    return import(base + '/widget/' + name);
  }

  // One download for every mount on the page.
  function load() {
    return widget || (widget = file('__FANFARE_GLUE__').then(function (glue) {
      return glue.default({ module_or_path: base + '/widget/__FANFARE_WASM__' }).then(function () { return glue; });
    }));
  }

  function viewsModule() {
    return views || (views = file('__FANFARE_VIEWS__'));
  }

  function stylesheet(root) {
    return new Promise(function (resolve) {
      var link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = base + '/widget/__FANFARE_CSS__';
      link.onload = link.onerror = resolve;
      root.appendChild(link);
    });
  }

  // Read-only modes get the server's view (views.js); the others the widget.
  function mount(root, mode, href) {
    return (VIEWS.indexOf(mode) >= 0 ? viewsModule().then(function (module) {
      return module.show(root, mode, config(), href);
    }) : Promise.all([load(), stylesheet(root), visiting]).then(function (done) {
      var container = document.createElement('div');
      container.setAttribute('part', 'root');
      root.appendChild(container);
      done[0].mount(container, mode, config());
    })).catch(function (error) {
      console.error('Fanfare: the ' + mode + ' could not load.', error);
    });
  }

  // An async script can run before the parser reaches the mounts: look for them once the
  // document is parsed.
  function start() {
    var hosts = [].slice.call(document.querySelectorAll('[data-fanfare]'));
    var observer = 'IntersectionObserver' in window && new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        mount(entry.target.shadowRoot, entry.target.getAttribute('data-fanfare'), entry.target.getAttribute('data-href'));
      });
    }, { rootMargin: '200px' });

    hosts.forEach(function (host) {
      var mode = host.getAttribute('data-fanfare');
      if (MODES.indexOf(mode) < 0) {
        console.warn('Fanfare: unknown data-fanfare="' + mode + '"; use one of ' + MODES.join(', ') + '.');
        return;
      }
      // A view the page included in its own HTML is already there: only its controls need us.
      if (host.shadowRoot) {
        if (VIEWS.indexOf(mode) >= 0) viewsModule().then(function (module) { module.enhance(host.shadowRoot); });
        return;
      }
      host.attachShadow({ mode: 'open' });
      if (observer) observer.observe(host);
      else mount(host.shadowRoot, mode, host.getAttribute('data-href'));
    });

    if (!hosts.length && data.floating !== 'off') floatingButton();
    // Double-sided rewards: a referred friend sees their code wherever the page put
    // data-fanfare-friend-coupon (hidden until there is one).
    visiting.then(function () {
      var offer = referral() && remembered.offer;
      if (offer) document.querySelectorAll('[data-fanfare-friend-coupon]').forEach(function (slot) {
        slot.textContent = offer;
        slot.hidden = false;
      });
    });
    if (window.performance && performance.mark) performance.mark('fanfare:ready');
    document.dispatchEvent(new CustomEvent('fanfare:ready'));
  }


  // Until the widget loads, the button is plain DOM styled through the CSSOM (a strict CSP
  // forbids style attributes); the widget then replaces it with its own button and dialog.
  function floatingButton() {
    var host = document.createElement('div');
    host.setAttribute('data-fanfare-floating', '');
    var root = host.attachShadow({ mode: 'open' });
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Leave a testimonial';
    button.setAttribute('part', 'floating-button');
    var look = {
      position: 'fixed', right: '1.25rem', bottom: '1.25rem', 'z-index': '2147483000',
      font: 'inherit', 'font-weight': '600', color: '#fff', background: '#7a3e12', border: '0',
      'border-radius': '.375rem', padding: '.75rem 1.25rem', 'min-height': '2.75rem', cursor: 'pointer'
    };
    Object.keys(look).forEach(function (key) { button.style.setProperty(key, look[key]); });
    button.addEventListener('click', function () {
      button.disabled = true;
      mount(root, 'floating').then(function () { button.remove(); });
    }, { once: true });
    root.appendChild(button);
    document.body.appendChild(host);
  }

  // Calls a host page queued before this script ran (window.Fanfare = {q: [[name, ...args]]})
  // are replayed once the methods exist.
  var api = {
    loaded: true,
    // Fanfare.referral() → a promise of the code this browser came through (or undefined),
    // for a checkout of your own (Stripe's client_reference_id).
    referral: function () {
      return visiting.then(referral);
    },
    // Fanfare.convert({ id: 'order-1', email: 'friend@example.com' }) on a thank-you page
    // credits the advocate whose link brought this browser; the same id counts once.
    convert: function (conversion) {
      return visiting.then(function () {
        var code = referral();
        if (!code || !conversion || conversion.id == null) return null;
        return post('/conversions', {
          code: code, id: String(conversion.id), email: conversion.email || undefined, device: device || undefined,
          amount: conversion.amount, currency: conversion.currency
        }).then(function (response) { return response.ok ? response.json() : null; }, function () { return null; });
      });
    }
  };
  var queued = (existing && existing.q) || [];
  window.Fanfare = api;
  queued.forEach(function (call) {
    var name = call[0];
    if (typeof api[name] === 'function') api[name].apply(api, [].slice.call(call, 1));
    else console.warn('Fanfare: unknown queued call ' + name + '.');
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
