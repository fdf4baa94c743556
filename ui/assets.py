"""The chat's look (CSS, theme) and the one small script: clicking a citation chip selects its source card."""

from __future__ import annotations

CSS = """
.gradio-container { max-width: 1480px !important; }
#app-header { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin: 4px 2px 0; }
#app-header h1 { font-size: 1.35rem; font-weight: 700; margin: 0; letter-spacing: -0.01em; }
#app-header .tag { color: var(--body-text-color-subdued); font-size: 0.92rem; }
#status-line { font-size: 0.84rem; color: var(--body-text-color-subdued); padding: 0 4px; margin: -6px 0 2px; }
#status-line .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #22c55e;
  margin-right: 6px; }

/* answers */
.rag-answer { line-height: 1.6; }
.rag-answer .answer-text { font-size: 1.0rem; }
.rag-answer .short-answer { font-size: 1.05rem; margin-bottom: 0.3rem; }
.cite-chip { display: inline-flex; align-items: center; justify-content: center; min-width: 1.35em;
  height: 1.35em; padding: 0 5px; margin: 0 1px 0 3px; border-radius: 999px; border: none;
  font-size: 0.72em; font-weight: 700; vertical-align: super; line-height: 1; cursor: pointer;
  background: var(--color-accent-soft, #e0e7ff); color: var(--color-accent, #4f46e5);
  text-decoration: none !important; transition: transform .08s ease, background .15s ease; }
.cite-chip:hover { transform: translateY(-1px); background: var(--color-accent, #4f46e5); color: #fff; }
.cite-chip.selected { background: var(--color-accent, #4f46e5); color: #fff;
  box-shadow: 0 0 0 2px rgba(79,70,229,.25); }
.answer-foot { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 10px;
  padding-top: 8px; border-top: 1px dashed var(--border-color-primary); font-size: 0.8rem; }
.src-chip { display: inline-flex; gap: 4px; align-items: center; padding: 2px 9px 2px 4px; border-radius: 8px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  max-width: 300px; white-space: nowrap; }
.src-chip:hover { border-color: var(--color-accent); }
.src-chip a { text-decoration: none !important; cursor: pointer; }
.src-num { display: inline-flex; justify-content: center; min-width: 1.4em; padding: 0 4px; border-radius: 6px;
  font-weight: 700; color: var(--color-accent) !important; background: var(--color-accent-soft); }
.src-name { color: var(--body-text-color) !important; overflow: hidden; text-overflow: ellipsis; margin-left: 2px; }
.answer-foot .meta { margin-left: auto; color: var(--body-text-color-subdued); }
.copy-answer { cursor: pointer; border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 2px 9px; background: transparent; color: var(--body-text-color-subdued); font-size: 0.8rem; }
.copy-answer:hover { color: var(--color-accent); border-color: var(--color-accent); }
.abstain { color: var(--body-text-color-subdued); font-style: italic; }
.unsupported { background: repeating-linear-gradient(135deg, rgba(245,158,11,.16) 0 6px, rgba(245,158,11,.08) 6px 12px);
  border-bottom: 2px dotted #d97706; border-radius: 3px; }
.unsupported .flag { font-size: 0.66rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  color: #b45309; margin-left: 4px; vertical-align: super; }
.unsupported .flag-reason { font-size: 0.75rem; font-style: italic; color: #b45309; margin-left: 4px; }
.notice { margin-top: 8px; font-size: 0.85rem; color: var(--body-text-color-subdued); }
.notice.warn { color: #b45309; }
.rag-error { color: #b91c1c; font-weight: 500; }
.thinking { color: var(--body-text-color-subdued); font-style: italic; }
.caret { display: inline-block; width: 7px; height: 1em; background: var(--color-accent); margin-left: 2px;
  vertical-align: text-bottom; animation: blink 1s steps(2) infinite; }
@keyframes blink { 50% { opacity: 0; } }

/* sources panel */
#sources-panel { min-height: 420px; }
.sources-empty { padding: 28px 18px; color: var(--body-text-color-subdued); line-height: 1.55;
  border: 1px dashed var(--border-color-primary); border-radius: 12px; }
.sources-empty .big { font-size: 1.05rem; font-weight: 600; color: var(--body-text-color); margin-bottom: 6px; }
.sources .turn { display: none; }
.sources .turn.active { display: block; }
.turn-q { font-size: 0.82rem; color: var(--body-text-color-subdued); margin: 2px 2px 8px; }
.cite-card { border: 1px solid var(--border-color-primary); border-radius: 12px; margin-bottom: 10px;
  background: var(--background-fill-primary); overflow: hidden; }
.cite-card .passage { display: none; }
.cite-card.selected { border-color: var(--color-accent); box-shadow: 0 2px 10px rgba(79,70,229,.12); }
.cite-card.selected .passage { display: block; }
.cite-head { display: flex; align-items: center; gap: 8px; padding: 8px 12px; cursor: pointer;
  background: var(--background-fill-secondary); font-size: 0.85rem; }
.cite-head .num { display: inline-flex; justify-content: center; align-items: center; min-width: 22px;
  height: 22px; border-radius: 999px; background: var(--color-accent); color: #fff; font-weight: 700;
  font-size: 0.75rem; }
.cite-head .doc { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cite-head .loc, .cite-head .score { color: var(--body-text-color-subdued); white-space: nowrap; }
.cite-head .loc { margin-left: auto; }
.cite-head .ocr { font-size: 0.75em; font-weight: 600; padding: 0 5px; border-radius: 4px;
                  border: 1px solid var(--border-color-primary); color: var(--body-text-color-subdued); }
.passage { padding: 12px 14px; font-size: 0.9rem; line-height: 1.65; white-space: pre-wrap;
  max-height: 340px; overflow-y: auto; font-family: Georgia, 'Iowan Old Style', 'Times New Roman', serif; }
mark.cited { background: #fde68a; color: #111827; padding: 1px 2px; border-radius: 3px;
  box-shadow: 0 0 0 1px #f59e0b inset; }
.cite-section { padding: 4px 12px 0; font-size: 0.78rem; color: var(--body-text-color-subdued); }
.passage code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.85em; }
.passage code.block { display: block; padding: 6px 8px; border-radius: 6px;
  background: var(--background-fill-secondary); }
.retrieved { margin-top: 6px; font-size: 0.82rem; }
.retrieved summary { cursor: pointer; color: var(--body-text-color-subdued); }
.retrieved ol { padding-left: 18px; }
.retrieved li { margin: 6px 0; }
.retrieved .rank { color: var(--color-accent); font-weight: 700; }
.retrieved .loc, .retrieved .score { color: var(--body-text-color-subdued); margin-left: 6px; }
.retrieved .snippet { color: var(--body-text-color-subdued); white-space: pre-wrap; margin-top: 2px; }
.empty { color: var(--body-text-color-subdued); font-style: italic; padding: 8px 2px; }

/* documents panel */
.docs-table { width: 100%; border-collapse: collapse; font-size: 0.86rem; margin: 0 !important; }
.docs-table th, .docs-table td { border-left: none !important; border-right: none !important;
  border-top: none !important; }
.docs-table th { text-align: left; font-weight: 600; color: var(--body-text-color-subdued);
  border-bottom: 1px solid var(--border-color-primary); padding: 6px 4px; }
.docs-table td { padding: 6px 4px; border-bottom: 1px solid var(--border-color-primary); }
.docs-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.docs-table th:nth-child(n+2) { text-align: right; }
.docs-table .kind { font-size: 0.68rem; margin-left: 6px; padding: 1px 6px; border-radius: 6px;
  background: var(--background-fill-secondary); color: var(--body-text-color-subdued); }
.docs-table .kind.upload { background: var(--color-accent-soft); color: var(--color-accent); }
.docs-empty { color: var(--body-text-color-subdued); font-style: italic; }
#remove-button { color: #b91c1c; }
#chat-actions { justify-content: flex-start; gap: 8px; }
#chat-actions button { flex: 0 0 auto; min-width: 110px; }
#upload-message .ok { color: #15803d; }
#upload-message .bad { color: #b91c1c; }
#upload-message ul { margin: 4px 0 0 18px; padding: 0; }
.score { display: none !important; }
body.rag-show-scores .score { display: inline !important; }
"""

# Delegated handler (installed once): works for chips in any chat message, old or new, without a server round trip.
CITE_JS = r"""
if (!window.__ragCitations) {
  window.__ragCitations = true;
  const select = (turn, n) => {
    const panel = document.querySelector('#sources-panel');
    if (!panel) return;
    const tab = document.querySelector('#sources-tab-button') ||
      [...document.querySelectorAll('[role="tab"]')].find(b => b.textContent.trim().startsWith('Sources'));
    if (tab && tab.getAttribute('aria-selected') !== 'true') tab.click();
    panel.querySelectorAll('.turn').forEach(t => t.classList.toggle('active', t.dataset.turn === turn));
    panel.querySelectorAll('.cite-card').forEach(c =>
      c.classList.toggle('selected', c.dataset.turn === turn && c.dataset.cite === n));
    document.querySelectorAll('a.cite-chip').forEach(c =>
      c.classList.toggle('selected', c.getAttribute('href') === `#cite-${turn}-${n}`));
    const card = panel.querySelector(`.cite-card[data-turn="${turn}"][data-cite="${n}"]`);
    if (card) {
      card.scrollIntoView({block: 'nearest', behavior: 'smooth'});
      const mark = card.querySelector('mark');
      if (mark) mark.scrollIntoView({block: 'nearest'});
    }
  };
  // The chat sanitiser strips data-* attributes, so chips in messages carry their target in the href.
  const target = (el) => {
    const link = el.closest('a[href^="#cite-"]');
    if (link) { const m = /^#cite-(\d+)-(\d+)$/.exec(link.getAttribute('href')); if (m) return [m[1], m[2]]; }
    const card = el.closest('[data-cite]');
    return card ? [card.dataset.turn, card.dataset.cite] : null;
  };
  const plainAnswer = (button) => {
    const text = button.closest('.rag-answer')?.querySelector('.answer-text');
    if (!text) return '';
    const copy = text.cloneNode(true);
    copy.querySelectorAll('.cite-chip').forEach(c => c.replaceWith(` [${c.textContent.trim()}]`));
    copy.querySelectorAll('.flag, .flag-reason').forEach(f => f.remove());
    return copy.textContent.replace(/\s+/g, ' ').trim();
  };
  document.addEventListener('click', (ev) => {
    if (!ev.target.closest) return;
    const copy = ev.target.closest('.copy-answer');
    if (copy) {
      ev.preventDefault(); ev.stopPropagation();
      const text = plainAnswer(copy);
      const done = () => { copy.textContent = 'Copied'; setTimeout(() => { copy.textContent = 'Copy'; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, done);
      else { const t = document.createElement('textarea'); t.value = text; document.body.appendChild(t);
             t.select(); document.execCommand('copy'); t.remove(); done(); }
      return;
    }
    const hit = target(ev.target);
    if (!hit) return;
    ev.preventDefault(); ev.stopPropagation();
    select(hit[0], hit[1]);
  }, true);
}
"""


def make_theme():
    from gradio.themes import Soft

    # System fonts only: the default theme would fetch Google Fonts, and this app must work offline.
    return Soft(
        primary_hue="indigo",
        secondary_hue="amber",
        neutral_hue="slate",
        radius_size="md",
        font=["Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )
