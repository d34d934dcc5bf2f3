// The grid adapts to the number of participants and to the screen shape (pure layout, no call needed).
import { test, expect } from '../helpers.js';

for (const [label, viewport, expected] of /** @type {const} */ ([
  ['desktop', { width: 1280, height: 720 }, [1, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4]],
  ['phone', { width: 390, height: 780 }, [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]],
])) {
  test(`grid columns for 1 to 12 tiles (${label})`, async ({ page, baseUrl }) => {
    await page.setViewportSize(viewport);
    await page.goto(baseUrl);
    const cols = await page.evaluate(async (n) => {
      const { TileGrid } = await import('/js/ui/tiles.js');
      document.body.replaceChildren();
      const grid = document.createElement('section');
      grid.className = 'grid';
      Object.assign(grid.style, { position: 'fixed', inset: '0', display: 'grid' });
      document.body.appendChild(grid);
      const g = new TileGrid(grid);
      const out = [];
      for (let i = 1; i <= n; i++) {
        g.add({ id: `00000000000000${String(i).padStart(2, '0')}`, name: `P ${i}`, local: i === 1, media: { audio: false, video: false, screen: false } });
        out.push(Number(grid.style.getPropertyValue('--cols')));
        // tiles never overflow the grid horizontally
        if (grid.scrollWidth > grid.clientWidth + 1) out.push(-1);
      }
      return out;
    }, expected.length);
    expect(cols).toEqual(expected);
  });
}

for (const [label, viewport] of /** @type {const} */ ([['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]])) {
  test(`three tiles fill the grid: no empty quarter, equal tiles as large as fit (${label})`, async ({ page, baseUrl }) => {
    await page.setViewportSize(viewport);
    await page.goto(baseUrl);
    const geometry = await page.evaluate(async () => {
      const { TileGrid } = await import('/js/ui/tiles.js');
      document.body.replaceChildren();
      const grid = document.createElement('section');
      grid.className = 'grid';
      Object.assign(grid.style, { position: 'fixed', inset: '0' });
      document.body.appendChild(grid);
      const g = new TileGrid(grid);
      for (let i = 1; i <= 3; i++) g.add({ id: `000000000000000${i}`, name: `P ${i}`, local: i === 1, media: { audio: false, video: false, screen: false } });
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const box = grid.getBoundingClientRect();
      const tiles = [...grid.querySelectorAll('.tile')].map((t) => t.getBoundingClientRect())
        .map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height }));
      return { box: { x: box.x, y: box.y, w: box.width, h: box.height }, tiles };
    });
    const { box, tiles } = geometry;
    expect(tiles).toHaveLength(3);
    // equal tiles
    const areas = tiles.map((t) => t.w * t.h);
    expect(Math.min(...areas) / Math.max(...areas)).toBeGreaterThan(0.99);
    // none overlap, all inside the box
    for (const [i, t] of tiles.entries()) {
      expect(t.x).toBeGreaterThanOrEqual(box.x - 0.5);
      expect(t.x + t.w).toBeLessThanOrEqual(box.x + box.w + 0.5);
      for (const u of tiles.slice(i + 1)) expect(t.x + t.w <= u.x + 0.5 || u.x + u.w <= t.x + 0.5 || t.y + t.h <= u.y + 0.5 || u.y + u.h <= t.y + 0.5).toBe(true);
    }
    // no empty quarter: every quarter of the box around the tiles' centre is (partly) covered, and a short
    // row is centred
    const rows = [...new Set(tiles.map((t) => Math.round(t.y)))];
    const centre = box.x + box.w / 2;
    for (const y of rows) {
      const row = tiles.filter((t) => Math.round(t.y) === y);
      const mid = (Math.min(...row.map((t) => t.x)) + Math.max(...row.map((t) => t.x + t.w))) / 2;
      expect(Math.abs(mid - centre)).toBeLessThan(2);
    }
    // the tiles take a large share of the box (as large as fit: a row of three would be smaller)
    const covered = areas.reduce((s, a) => s + a, 0) / (box.w * box.h);
    expect(covered).toBeGreaterThan(viewport.width > 600 ? 0.55 : 0.5);
  });
}
