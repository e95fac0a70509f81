// The citizens' look-up page: posts the receipt code and the secret, shows the answer, and once the
// result was returned offers the one rating. The QR code on the receipt opens this page as
// /tra-cuu?ma=<receipt code>#k=<secret>: the secret stays in the fragment, which browsers never
// send to a server, and the page looks the dossier up at once.
(() => {
  const $ = (id) => document.getElementById(id);
  let current = null;

  function show(id, text) {
    const element = $(id);
    element.textContent = text || '';
    element.hidden = !text;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, json };
  }

  function render(view) {
    $('r-code').textContent = view.receiptCode;
    $('r-procedure').textContent = view.procedureName;
    $('r-status').textContent = view.status.text;
    $('r-national').textContent = String(view.status.code);
    $('r-summary').textContent = view.summary;
    $('r-received').textContent = view.receivedAt;
    $('r-appointment').textContent = view.appointmentAt || '—';
    const holders = $('r-holders');
    holders.replaceChildren(...view.heldBy.map((h) => {
      const item = document.createElement('li');
      item.textContent = `${h.agency} — ${h.step} (từ ${h.since})`;
      return item;
    }));
    $('r-holders-box').hidden = view.heldBy.length === 0;
    show('r-supplement', view.supplement && `Yêu cầu bổ sung (${view.supplement.requestedAt}): ${view.supplement.request || 'xin liên hệ ' + view.supplement.agency}`);
    show('r-apology', view.apology && `Thư xin lỗi: ${view.apology.reason}. Hẹn lại ngày trả kết quả: ${view.apology.newAppointmentAt}.`);
    show('r-result', view.result && [`Đã có kết quả lúc ${view.result.readyAt}`, view.result.verdict && `(${view.result.verdict})`, '—', view.result.where,
      view.result.returnedAt && `Đã trả kết quả lúc ${view.result.returnedAt}.`].filter(Boolean).join(' '));
    show('r-stopped', view.stoppedAt && `Hồ sơ dừng xử lý lúc ${view.stoppedAt}.`);
    $('rating').hidden = !view.rating.canRate;
    show('r-rated', view.rating.satisfied === null || view.rating.satisfied === undefined ? ''
      : `Ông/Bà đã đánh giá: ${view.rating.satisfied ? 'Hài lòng' : 'Không hài lòng'} (${view.rating.ratedAt}). Cảm ơn Ông/Bà.`);
    $('result').hidden = false;
  }

  async function lookup() {
    const body = { receiptCode: $('receiptCode').value.trim(), secret: $('secret').value.trim() };
    show('error', '');
    const answer = await post('/api/public/lookup', body);
    if (!answer.ok) {
      $('result').hidden = true;
      show('error', answer.json.detail || answer.json.title || 'Không tra cứu được, xin thử lại.');
      return;
    }
    current = body;
    render(answer.json);
  }

  $('lookup').addEventListener('submit', (event) => {
    event.preventDefault();
    lookup();
  });

  $('rating').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData($('rating'));
    const answer = await post('/api/public/rating', {
      ...current,
      satisfied: form.get('satisfied') === 'true',
      comment: form.get('comment') || null,
    });
    if (!answer.ok) {
      show('error', answer.json.detail || answer.json.title);
      return;
    }
    await lookup();
  });

  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (query.get('ma')) {
    $('receiptCode').value = query.get('ma');
  }
  if (fragment.get('k')) {
    $('secret').value = fragment.get('k');
    history.replaceState(null, '', location.pathname + location.search);
    if ($('receiptCode').value) {
      lookup();
    }
  }
})();
