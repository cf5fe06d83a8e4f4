/*! Fanfare read-only views. embed.js imports this for wall, carousel and badge mounts: it
    places the server-rendered view into the mount's shadow root and runs what moves in it
    ("show more", the carousel). No WebAssembly; the HTML comes from the Fanfare server, which
    escapes everything in it. */

var policy;

// A document fragment holding the view inside a fragment's declarative shadow root. Under
// Trusted Types, the server's HTML passes through our one policy, named "fanfare".
function parse(text) {
  if (!policy) {
    var same = function (html) { return html; };
    policy = window.trustedTypes ? trustedTypes.createPolicy('fanfare', { createHTML: same }) : { createHTML: same };
  }
  var holder = document.createElement('template');
  holder.innerHTML = policy.createHTML(text);
  var inner = holder.content.querySelector('template');
  // Made again in this document: a <video> born in a template's inert document refuses to load
  // ("URL safety check") even once it is moved into the page.
  return document.importNode(inner ? inner.content : holder.content, true);
}

// The body, or an error carrying the server's answer (which names a refused setting).
function get(url) {
  return fetch(url).then(function (response) {
    return response.text().then(function (body) {
      if (!response.ok) throw new Error(url + ' answered ' + response.status + ': ' + body);
      return body;
    });
  });
}

// Fills `root` with the server's view of `mode`, as the script tag's `settings` (embed.js's
// config()) and the mount's data-href ask. It appears once its stylesheets have loaded, in one
// piece, so the page around it moves once at most.
export function show(root, mode, settings, href) {
  var query = new URLSearchParams({ lang: settings.lang, theme: settings.theme });
  if (settings.limit) query.set('limit', settings.limit);
  if (settings.tags) query.set('tags', settings.tags);
  if (href) query.set('href', new URL(href, location.href).href);
  var url = settings.api + '/embed/' + encodeURIComponent(settings.site) + '/' + mode + '.html?' + query;
  return get(url).then(function (text) {
    var view = parse(text);
    return Promise.all([].map.call(view.querySelectorAll('link'), function (link) {
      return new Promise(function (done) {
        link.onload = link.onerror = done;
        root.appendChild(link);
      });
    })).then(function () {
      root.appendChild(view);
      enhance(root);
    });
  });
}

// Makes a view's controls work: the view may come from show() or from the host page's own
// HTML (an included fragment), so this reads everything it needs from the markup.
export function enhance(root) {
  var more = root.querySelector('[data-more]');
  var carousel = root.querySelector('.fanfare-carousel');
  if (more) showMore(root, more);
  if (carousel) turn(carousel);
  // Shows the controls (their place was kept, so nothing moves).
  [].forEach.call(root.querySelectorAll('section'), function (section) { section.classList.add('is-live'); });
}

function showMore(root, button) {
  button.addEventListener('click', function () {
    button.disabled = true;
    get(button.getAttribute('data-more')).then(function (text) {
      var next = parse(text);
      var added = next.querySelectorAll('.fanfare-grid > li');
      var further = next.querySelector('[data-more]');
      [].forEach.call(added, function (item) { root.querySelector('.fanfare-grid').appendChild(item); });
      if (further) {
        button.setAttribute('data-more', further.getAttribute('data-more'));
        button.disabled = false;
      } else {
        // The button goes; the keyboard carries on from the first testimonial it brought.
        var first = added[0] && added[0].querySelector('article');
        button.remove();
        if (first) {
          first.tabIndex = -1;
          first.focus();
        }
      }
    }, function (error) {
      button.disabled = false;
      console.error(error);
    });
  });
}

// One testimonial at a time: previous, next, and a visible pause; it turns by itself only when
// the visitor has not asked for reduced motion, and says where it is.
function turn(carousel) {
  var list = carousel.querySelector('.fanfare-slide');
  var slides = carousel.querySelectorAll('.fanfare-slide > li');
  var controls = carousel.querySelector('.fanfare-controls');
  if (!controls) return; // one testimonial: nothing to turn
  var position = controls.querySelector('span');
  var pause = controls.querySelector('[aria-pressed]');
  var index = 0;
  var timer;
  function go(to) {
    index = (to + slides.length) % slides.length;
    [].forEach.call(slides, function (slide, at) { slide.classList.toggle('is-away', at !== index); });
    position.textContent = slides[index].getAttribute('data-position');
  }
  function play(on) {
    clearInterval(timer);
    if (on) timer = setInterval(function () { go(index + 1); }, 7000);
    pause.setAttribute('aria-pressed', String(!on));
    pause.textContent = pause.getAttribute(on ? 'data-pause' : 'data-play');
    // Announced when the visitor moves it, silent while it turns by itself.
    list.setAttribute('aria-live', on ? 'off' : 'polite');
  }
  controls.addEventListener('click', function (event) {
    var button = event.target.closest('button');
    if (!button) return;
    if (button === pause) return play(pause.getAttribute('aria-pressed') === 'true');
    play(false);
    go(index + Number(button.getAttribute('data-step')));
  });
  list.removeAttribute('tabindex');
  go(0);
  play(!matchMedia('(prefers-reduced-motion: reduce)').matches);
}
