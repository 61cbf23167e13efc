/* "My exports": while a job is waiting or being written, ask for the status every 2 seconds and
 * update the row in place; a finished job gets its download button. No library needed. */
(function () {
  'use strict';

  const table = document.getElementById('export-jobs');
  if (!table) return;
  const DOWNLOAD = table.dataset.downloadLabel;

  function pending() {
    return table.querySelector('[data-percent]') !== null;
  }

  function update(job) {
    const row = table.querySelector(`tr[data-job="${job.id}"]`);
    if (!row) return;
    row.querySelector('[data-status]').textContent = job.status_label;
    const percent = row.querySelector('[data-percent]');
    if (job.in_progress) {
      if (percent) percent.textContent = `${job.percent}%`;
      return;
    }
    if (percent) percent.remove();
    const cell = row.querySelector('[data-download]');
    if (job.download && cell && !cell.querySelector('a')) {
      const link = document.createElement('a');
      link.className = 'button button-small';
      link.href = job.download;
      link.textContent = DOWNLOAD;
      cell.appendChild(link);
    }
  }

  async function poll() {
    if (!pending()) return;
    try {
      const response = await fetch(table.dataset.statusUrl, { credentials: 'same-origin' });
      if (response.ok) (await response.json()).jobs.forEach(update);
    } catch (error) {
      // The next round tries again; the page itself still works with a reload.
    }
    window.setTimeout(poll, 2000);
  }

  window.setTimeout(poll, 2000);
})();
