/* Statistics charts, drawn with the vendored Chart.js (static/vendor/chart.js-4.6.1).
 *
 * Every <canvas data-chart="ID"> is drawn from the JSON in <script id="ID" type="application/json">
 * ({labels, series: [{label, values}], horizontal, percent}), written by the server with
 * json_script. The table beside each chart holds the same numbers: it is what screen readers and
 * printouts get, so the canvas is hidden from assistive technology. Series differ by fill as well
 * as colour (solid, outlined, striped, dotted), never by colour alone; a missing value (null) is
 * left out, not drawn as nought.
 */
(function () {
  'use strict';

  const COLOURS = ['#1f5fbf', '#c05f00', '#1d7f4e', '#7a3fb0'];
  const ROW_PX = 26; // a bar and its gap in a horizontal chart
  const MIN_HEIGHT = 180;

  function percent(value) {
    return `${Math.round(value * 1000) / 10}%`;
  }

  // A fill that says which series a bar is without its colour: stripes or dots on white.
  function pattern(colour, kind) {
    const tile = document.createElement('canvas');
    tile.width = tile.height = 8;
    const pen = tile.getContext('2d');
    pen.fillStyle = '#ffffff';
    pen.fillRect(0, 0, 8, 8);
    pen.fillStyle = pen.strokeStyle = colour;
    if (kind === 'stripes') {
      pen.lineWidth = 2;
      pen.beginPath();
      pen.moveTo(0, 8);
      pen.lineTo(8, 0);
      pen.stroke();
    } else {
      pen.beginPath();
      pen.arc(4, 4, 1.6, 0, 2 * Math.PI);
      pen.fill();
    }
    return pen.createPattern(tile, 'repeat');
  }

  function datasets(series) {
    return series.map((item, index) => {
      const colour = COLOURS[index % COLOURS.length];
      const fills = [colour, '#ffffff', pattern(colour, 'stripes'), pattern(colour, 'dots')];
      return {
        label: item.label,
        data: item.values,
        backgroundColor: fills[index % fills.length],
        borderColor: colour,
        borderWidth: index % fills.length === 0 ? 0 : 2,
      };
    });
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    if (!data.labels.length) {
      canvas.parentElement.hidden = true;
      return;
    }
    const box = canvas.parentElement;
    const rows = data.horizontal ? data.labels.length * data.series.length : 0;
    box.style.height = `${Math.max(MIN_HEIGHT, rows * ROW_PX + 60)}px`;
    const valueAxis = {
      beginAtZero: true,
      ticks: data.percent ? { callback: percent } : { precision: 0 },
    };
    if (data.percent) valueAxis.max = 1;
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: 'bar',
      data: { labels: data.labels, datasets: datasets(data.series) },
      options: {
        indexAxis: data.horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: data.series.length > 1 },
          tooltip: data.percent
            ? { callbacks: { label: (item) => `${item.dataset.label}: ${percent(item.raw)}` } }
            : {},
        },
        scales: data.horizontal ? { x: valueAxis } : { y: valueAxis },
      },
    });
    canvas.dataset.drawn = 'true';
  }

  function drawAll() {
    if (!window.Chart) return;
    document.querySelectorAll('canvas[data-chart]').forEach(draw);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', drawAll);
  } else {
    drawAll();
  }
})();
