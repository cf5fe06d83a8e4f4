// The collection page, made nicer where scripts run; everything works without this file.
// A low rating shows the private-feedback path at once, a chosen photo is previewed, the form
// cannot be sent twice, a site's proof of work is solved before sending, and a video can be
// recorded or chosen (the widget's recorder, loaded when the visitor asks for it).
(() => {
  const form = document.getElementById('collect');
  if (form) collect(form);
  const copy = document.getElementById('copy');
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener('click', () => {
      navigator.clipboard.writeText(document.getElementById('link').value)
        .then(() => { document.getElementById('copied').textContent = copy.dataset.copied; });
    });
  }

  function collect(form) {
    const low = Number(form.dataset.low);
    const byId = (id) => document.getElementById(id);
    const show = () => {
      const chosen = form.querySelector('input[name=rating]:checked');
      const isPrivate = !!chosen && Number(chosen.value) <= low;
      byId('consent-box').hidden = isPrivate;
      byId('contact-box').hidden = !isPrivate;
      byId('private-note').hidden = !isPrivate;
      byId('next-public').hidden = isPrivate;
      byId('next-private').hidden = !isPrivate;
    };
    form.addEventListener('change', (event) => {
      if (event.target.name === 'rating') show();
      if (event.target.name === 'photo') preview(event.target);
    });
    show();
    const videoPending = video(form);

    const preview = (input) => {
      const file = input.files && input.files[0];
      const tooLarge = !!file && file.size > Number(input.dataset.maxBytes);
      input.setCustomValidity(tooLarge ? input.dataset.tooLarge : '');
      if (tooLarge) input.reportValidity();
      const box = byId('photo-preview');
      box.replaceChildren();
      box.hidden = !file || tooLarge;
      if (box.hidden) return;
      const img = document.createElement('img');
      img.alt = '';
      img.src = URL.createObjectURL(file);
      img.onload = () => URL.revokeObjectURL(img.src);
      box.append(img);
    };

    let sending = false;
    const button = form.querySelector('button[type=submit]');
    const label = button.textContent;
    form.addEventListener('submit', (event) => {
      if (sending) return event.preventDefault();
      // A video still recording or uploading: the form waits (the visitor may cancel it).
      if (videoPending()) {
        event.preventDefault();
        byId('video-wait').hidden = false;
        byId('video-field').focus();
        return;
      }
      sending = true;
      button.disabled = true;
      button.textContent = form.dataset.sending;
      form.setAttribute('aria-busy', 'true');
      const difficulty = Number(form.dataset.pow);
      const pow = byId('pow');
      if (difficulty > 0 && !form.elements.invite && !pow.value) {
        event.preventDefault();
        solve(form.dataset.site).then((solution) => { pow.value = solution; form.submit(); },
          () => form.submit());
      }
    });
    // Back from the next page (bfcache): the form can be sent again.
    addEventListener('pageshow', () => {
      sending = false;
      button.disabled = false;
      button.textContent = label;
      form.removeAttribute('aria-busy');
    });
  }

  // "Add a video": loads the recorder, which fills the hidden `video` input with the upload's
  // id. Returns whether a video is still on its way.
  function video(form) {
    const field = document.getElementById('video-field');
    if (!field || !field.dataset.recorder) return () => false;
    const input = document.getElementById('video');
    const add = document.getElementById('video-add');
    const wait = document.getElementById('video-wait');
    let pending = false;
    const open = () => {
      add.disabled = true;
      import(field.dataset.recorder).then((recorder) => {
        add.hidden = true;
        recorder.open(document.getElementById('video-box'), {
          api: '',
          site: form.dataset.site,
          texts: JSON.parse(field.dataset.texts),
          video: input.value || undefined,
          onchange: (id) => {
            pending = id === '';
            input.value = id || '';
            if (!pending) wait.hidden = true;
          },
        });
      }, () => {
        // Offline, most likely: the button stays for another try.
        add.disabled = false;
      });
    };
    add.addEventListener('click', open);
    field.hidden = false;
    // A form shown again with its video keeps it.
    if (input.value) open();
    return () => pending;
  }

  // CHALLENGE:COUNTER whose SHA-256 starts with the site's number of zero bits.
  async function solve(site) {
    const response = await fetch('/api/v1/sites/' + encodeURIComponent(site) + '/challenge');
    const { challenge, difficulty } = await response.json();
    const encoder = new TextEncoder();
    for (let counter = 0; ; counter++) {
      const candidate = challenge + ':' + counter;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(candidate)));
      if (zeroBits(digest) >= difficulty) return candidate;
    }
  }

  function zeroBits(bytes) {
    let bits = 0;
    for (const byte of bytes) {
      if (byte) return bits + Math.clz32(byte) - 24;
      bits += 8;
    }
    return bits;
  }
})();
