// What a shop's own thank-you page adds to credit referrals: one call with its order number.
// The call is queued if embed.js has not run yet, and counts once per order number.
(function () {
  'use strict';
  var order = new URLSearchParams(location.search).get('order') || 'demo-' + Date.now();
  document.addEventListener('DOMContentLoaded', function () {
    document.getElementById('order-number').textContent = order;
  });
  var conversion = { id: order };
  if (window.Fanfare && window.Fanfare.loaded) {
    window.Fanfare.convert(conversion);
  } else {
    window.Fanfare = window.Fanfare || {};
    (window.Fanfare.q = window.Fanfare.q || []).push(['convert', conversion]);
  }
})();
