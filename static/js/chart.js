/* A small SVG bar chart, no library: <div id="arrivals-chart" data-series='[{"t":"09:00","n":12}, …]'>
 * (any element with class "bar-chart" and data-series works too; {"start": ISO time, "count": n}
 * points are read as well). The data table next to it is the accessible version, so the drawing
 * is hidden from screen readers. Drawn at the element's width in CSS pixels, so the labels stay
 * readable on a 360 px phone; redrawn on resize. Colours are SVG attributes, so the chart also
 * looks right where site.css is not loaded (the Wagtail admin); site.css may override them.
 */
(function () {
  'use strict';

  const SVG = 'http://www.w3.org/2000/svg';
  const HEIGHT = 220;
  const TOP = 18; // room for the value above the highest bar
  const BOTTOM = 22; // room for the time labels
  const LABEL_PX = 40; // a time label needs about this much width
  const SIDE = 16; // half a label on either side, so the first and last are not cut
  const LABEL = { 'font-size': 11, 'text-anchor': 'middle', fill: 'currentColor' };

  function node(name, attributes, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function draw(container) {
    let series;
    try {
      series = JSON.parse(container.dataset.series || '[]').map((point) => ({
        // "2026-03-02T09:15:00+08:00" is already local time: its hours and minutes are the label.
        t: point.t !== undefined ? String(point.t) : String(point.start || '').slice(11, 16),
        n: Number(point.n !== undefined ? point.n : point.count) || 0,
      }));
    } catch (error) {
      return;
    }
    const width = Math.max(container.clientWidth, 200);
    const svg = node('svg', { viewBox: `0 0 ${width} ${HEIGHT}`, width, height: HEIGHT, 'aria-hidden': 'true', focusable: 'false' });
    const plot = HEIGHT - TOP - BOTTOM;
    const max = Math.max(1, ...series.map((point) => point.n));
    const slot = (width - 2 * SIDE) / Math.max(series.length, 1);
    const bar = Math.max(2, slot * 0.7);
    // Label every k-th bar so that time labels never overlap; values only when they fit.
    const every = Math.ceil(LABEL_PX / slot);
    const values = slot >= 18;
    svg.append(node('line', { class: 'axis', x1: 0, x2: width, y1: TOP + plot, y2: TOP + plot, stroke: '#c9cdd4' }));
    series.forEach((point, index) => {
      const n = point.n;
      const height = (n / max) * plot;
      const x = SIDE + index * slot + (slot - bar) / 2;
      const middle = SIDE + index * slot + slot / 2;
      svg.append(node('rect', { class: 'bar', x, y: TOP + plot - height, width: bar, height, fill: '#0b4f9c' }));
      if (values && n) svg.append(node('text', { class: 'value', x: middle, y: TOP + plot - height - 4, ...LABEL }, String(n)));
      if (index % every === 0) svg.append(node('text', { class: 'tick', x: middle, y: HEIGHT - 6, ...LABEL }, point.t));
    });
    container.classList.add('bar-chart');
    container.replaceChildren(svg);
  }

  function drawAll() {
    document.querySelectorAll('#arrivals-chart[data-series], .bar-chart[data-series]').forEach(draw);
  }

  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawAll, 150);
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawAll);
  else drawAll();
  window.ChunfengChart = { draw, drawAll }; // for pages that update the data-series later
}());
