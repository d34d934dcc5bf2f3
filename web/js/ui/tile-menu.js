// tile-menu.js — a tile's options menu: pin it for yourself (it takes the stage), spotlight it for
// everyone (hosts and moderators: the server tells the room), send that participant a file, show it full
// screen (the tile, with its name and marks) and picture-in-picture (its video, in a floating window the
// browser keeps on top). The items
// are rebuilt each time the menu opens, so they always say what a click will do.

import { icon } from './icons.js';
import { toast } from './toast.js';
import { MenuButton } from './menu.js';
import { h, setAttr } from './dom.js';
import { L } from '../i18n.js';

/** @typedef {import('./tiles.js').Tile} Tile */
/** @typedef {import('./tiles.js').TileGrid} TileGrid */

/**
 * @param {Tile} tile @param {TileGrid} grid
 * @returns {MenuButton}
 */
export function tileMenu(tile, grid) {
  const button = h('button', { type: 'button', class: 'tile-menu-btn' }, icon('more'));
  const menu = new MenuButton({ button, label: L('tile.options'), className: 'tile-menu', onOpen: () => fill() });
  const label = () => {
    const text = tile.local ? L('tile.options_you') : L('tile.options_for', { name: tile.name });
    setAttr(button, 'aria-label', text);
    setAttr(button, 'title', text);
  };
  label();
  const fill = () => {
    label();
    menu.list.replaceChildren();
    const pinned = grid.pinned === tile.id;
    menu.item({ text: L(pinned ? 'tile.unpin' : 'tile.pin'), icon: icon('pin'), className: 'menu-pin', onselect: () => grid.pin(pinned ? null : tile.id) });
    if (grid.canSpotlight() && !tile.screenOf) { // (a spotlight names a participant)
      const lit = grid.spotlight === tile.id;
      menu.item({
        text: L(lit ? 'tile.spotlight_off' : 'tile.spotlight'), icon: icon('spotlight'), className: 'menu-spotlight',
        onselect: () => grid.onSpotlight(lit ? null : tile.id),
      });
    }
    if (!tile.local && !tile.screenOf && grid.onSendFile) {
      const send = grid.onSendFile;
      menu.item({ text: L('tile.send_file'), icon: icon('attach'), className: 'menu-send-file', onselect: () => send(tile.id) });
    }
    if (document.fullscreenEnabled) {
      const full = document.fullscreenElement === tile.el;
      menu.item({ text: L(full ? 'tile.fullscreen_exit' : 'tile.fullscreen'), icon: icon('fullscreen'), className: 'menu-fullscreen', onselect: () => void fullscreen(tile, full) });
    }
    if (document.pictureInPictureEnabled && !tile.local) {
      const pip = document.pictureInPictureElement === tile.video;
      menu.item({ text: L(pip ? 'tile.pip_exit' : 'tile.pip'), icon: icon('pip'), className: 'menu-pip', onselect: () => void pictureInPicture(tile, pip) });
    }
  };
  return menu;
}

/** @param {Tile} tile @param {boolean} leave */
async function fullscreen(tile, leave) {
  try {
    if (leave) await document.exitFullscreen();
    else await tile.el.requestFullscreen({ navigationUI: 'hide' });
  } catch {
    toast(L('tile.fullscreen_unavailable'), { kind: 'error' });
  }
}

/** @param {Tile} tile @param {boolean} leave */
async function pictureInPicture(tile, leave) {
  try {
    if (leave) await document.exitPictureInPicture();
    else await tile.video.requestPictureInPicture();
  } catch {
    toast(L(tile.media.video || tile.media.screen ? 'tile.pip_unavailable' : 'tile.pip_no_video'), { kind: 'error' });
  }
}
