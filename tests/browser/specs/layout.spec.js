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
