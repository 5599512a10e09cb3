// A seat map drawn on one <canvas>: sections stacked under the stage, rows
// top to bottom, seat numbers left to right. Seats are found from pointer
// coordinates by arithmetic (section by y, then row and column), so a
// 20,000-seat event costs one draw and no DOM nodes per seat.
import { money, sentenceList } from './format.js';

const MIN_CELL = 6; // CSS px; smaller seats cannot be hit, so a very wide map scrolls sideways instead
const MAX_CELL = 28;
const PAD = 12;
const STAGE_HEIGHT = 26;
const LABEL_HEIGHT = 30;
const SECTION_GAP = 10;
// Backing-store limits every browser accepts (iOS Safari caps a canvas at 16.7 Mpx).
const MAX_SIDE = 16384;
const MAX_AREA = 16_777_216;
// Room kept around a seat reached by keyboard, clear of the sticky selection bar.
const REVEAL_TOP = 24;
const REVEAL_BOTTOM = 180;

const TIER_COLOURS = ['#0d9488', '#7c3aed', '#ea580c', '#2563eb', '#db2777', '#65a30d', '#0891b2', '#ca8a04', '#9333ea', '#e11d48'];
export const BOOKED_COLOUR = '#cbd5e1';
export const SELECTED_COLOUR = '#0f172a';
// Seats in someone else's hold: stripes over the booked grey, as they may come back on sale.
const HELD_STRIPE = '#64748b';
// Seats in the visitor's own hold: the selection's colour with a white dot.
const YOURS_COLOUR = SELECTED_COLOUR;
const YOURS_MARK = '#ffffff';
const FOCUS_COLOUR = '#f59e0b';
const STAGE_COLOUR = '#e2e8f0';
const TEXT_COLOUR = '#334155';

/** A tile of diagonal stripes for the fill of seats held by others. */
function stripes() {
  const tile = document.createElement('canvas');
  tile.width = tile.height = 6;
  const ctx = tile.getContext('2d');
  ctx.fillStyle = BOOKED_COLOUR;
  ctx.fillRect(0, 0, 6, 6);
  ctx.strokeStyle = HELD_STRIPE;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  // The main diagonal plus its two corner pieces, so that tiles join seamlessly.
  for (const [x0, y0, x1, y1] of [[0, 6, 6, 0], [-1, 1, 1, -1], [5, 7, 7, 5]]) {
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
  }
  ctx.stroke();
  return tile;
}

const tierColour = (i) => TIER_COLOURS[i] ?? `hsl(${(i * 137.5) % 360} 60% 42%)`;
const clamp = (n, low, high) => Math.min(high, Math.max(low, n));

/** "Stalls row 3 seat 5" */
export const seatLabel = (seat) => `${seat.section} row ${seat.row} seat ${seat.number}`;

/** Seats (in map order) by row, with runs as ranges: "Stalls row 3 seats 5–8, 10 and Circle row 1 seat 2". */
export function seatsText(seats) {
  const rows = [];
  for (const seat of seats) {
    const last = rows.at(-1);
    if (last?.section !== seat.section || last.row !== seat.row) rows.push({ section: seat.section, row: seat.row, runs: [], count: 0 });
    const row = rows.at(-1);
    const run = row.runs.at(-1);
    if (run && run[1] === seat.number - 1) run[1] = seat.number;
    else row.runs.push([seat.number, seat.number]);
    row.count += 1;
  }
  return sentenceList(
    rows.map(({ section, row, runs, count }) => {
      const numbers = runs.map(([first, last]) => (first === last ? `${first}` : `${first}–${last}`)).join(', ');
      return `${section} row ${row} seat${count === 1 ? '' : 's'} ${numbers}`;
    }),
  );
}

export class SeatMap {
  /**
   * onChange() runs when the selection changes, onInspect(seat|null) when the
   * pointer or keyboard cursor reaches a seat, onLimit() when a seat beyond
   * maxSelection is asked for.
   */
  constructor(canvas, { maxSelection, onChange, onInspect, onLimit }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.maxSelection = maxSelection;
    this.onChange = onChange;
    this.onInspect = onInspect;
    this.onLimit = onLimit;
    this.seats = [];
    this.sections = [];
    this.selected = new Set(); // seat indexes
    this.mine = new Set(); // seat indexes in the visitor's own holds
    this.locked = false; // true while checking out: seats cannot be selected
    this.cursor = -1; // keyboard cursor, a seat index
    this.hovered = -1;
    this.fittedWidth = 0;

    this.heldPattern = this.ctx.createPattern(stripes(), 'repeat');
    canvas.addEventListener('click', (e) => this.handleClick(e));
    canvas.addEventListener('mousemove', (e) => this.handleHover(this.seatIndexAtPointer(e)));
    canvas.addEventListener('mouseleave', () => this.handleHover(-1));
    canvas.addEventListener('keydown', (e) => this.handleKey(e));
    canvas.addEventListener('focus', () => this.handleFocus());
    canvas.addEventListener('blur', () => this.cursor >= 0 && this.drawSeat(this.cursor));
    this.resizeObserver = new ResizeObserver(() => this.fit());
    this.resizeObserver.observe(canvas.parentElement);
  }

  /** Takes the answer of GET /events/{id}/seats: the sections and every seat. */
  setData(sections, seats) {
    this.sections = sections.map((s) => ({ ...s, x: 0, y: 0, grid: new Int32Array(s.rows * s.seats_per_row).fill(-1) }));
    const sectionIndex = new Map(this.sections.map((s, i) => [s.name, i]));
    this.seats = seats.map((s) => ({ ...s }));
    this.sectionOf = new Uint16Array(seats.length);
    this.byId = new Map();
    this.seats.forEach((seat, i) => {
      const k = sectionIndex.get(seat.section);
      const section = this.sections[k];
      section.grid[(seat.row - 1) * section.seats_per_row + seat.number - 1] = i;
      this.sectionOf[i] = k;
      this.byId.set(seat.id, i);
    });
    const prices = [...new Set(this.seats.map((s) => s.price_cents))].sort((a, b) => a - b);
    this.tierColours = new Map(prices.map((price, i) => [price, tierColour(i)]));
    this.selected.clear();
    this.mine.clear();
    this.cursor = -1;
    this.layout();
    this.draw();
  }

  /** Price tiers for the legend, cheapest first: [{price_cents, colour}]. */
  get tiers() {
    return [...this.tierColours].map(([price_cents, colour]) => ({ price_cents, colour }));
  }

  /** The selected seats in map order. */
  get selection() {
    return [...this.selected].sort((a, b) => a - b).map((i) => this.seats[i]);
  }

  /** How many seats have each status: {available, held, booked}. */
  get counts() {
    const counts = { available: 0, held: 0, booked: 0 };
    for (const seat of this.seats) counts[seat.status] += 1;
    return counts;
  }

  /** The ids of the seats drawn as the visitor's own hold, in map order. */
  get mineIds() {
    return [...this.mine].filter((i) => this.seats[i].status === 'held').sort((a, b) => a - b).map((i) => this.seats[i].id);
  }

  seat(id) {
    const i = this.byId.get(id);
    return i === undefined ? null : this.seats[i];
  }

  /** Centre of a seat in canvas CSS pixels, or null for an unknown id. */
  seatAt(id) {
    const i = this.byId.get(id);
    if (i === undefined) return null;
    const { x, y } = this.origin(i);
    return { x: x + this.cell / 2, y: y + this.cell / 2 };
  }

  /** 'available', 'held' (by someone else), 'yours' (held by the visitor), 'booked' or 'selected'; null for an unknown id. */
  status(id) {
    const i = this.byId.get(id);
    if (i === undefined) return null;
    if (this.selected.has(i)) return 'selected';
    return this.isMine(i) ? 'yours' : this.seats[i].status;
  }

  isMine(i) {
    return this.mine.has(i) && this.seats[i].status === 'held';
  }

  /**
   * Marks the seats of the visitor's own holds (they are `held` on the
   * server, like everyone else's). Seats that the server no longer reports as
   * held (the hold expired or was confirmed) are drawn by their status.
   */
  setMine(ids) {
    const next = new Set(ids.map((id) => this.byId.get(id)).filter((i) => i !== undefined));
    const changed = [...this.mine, ...next].filter((i) => this.mine.has(i) !== next.has(i));
    this.mine = next;
    changed.forEach((i) => this.drawSeat(i));
  }

  /** Scrolls the seat with this id into view. */
  revealSeat(id) {
    const i = this.byId.get(id);
    if (i !== undefined) this.reveal(i);
  }

  /** Selects the given seats that are still available, up to the limit. */
  select(ids) {
    for (const id of ids) {
      const i = this.byId.get(id);
      if (i === undefined || this.seats[i].status !== 'available' || this.selected.size >= this.maxSelection) continue;
      this.selected.add(i);
      this.drawSeat(i);
    }
    this.onChange();
  }

  /** Deselects these seats (e.g. taken by someone else meanwhile). */
  deselect(ids) {
    for (const id of ids) {
      const i = this.byId.get(id);
      if (i !== undefined && this.selected.delete(i)) this.drawSeat(i);
    }
    this.onChange();
  }

  clearSelection() {
    const previous = [...this.selected];
    this.selected.clear();
    previous.forEach((i) => this.drawSeat(i));
    this.onChange();
  }

  /**
   * Applies fresh statuses ([{id, status}]); returns the selected seats that
   * are no longer available, which are deselected.
   */
  update(seats) {
    const lost = [];
    const changed = [];
    for (const { id, status } of seats) {
      const i = this.byId.get(id);
      if (i === undefined || this.seats[i].status === status) continue;
      this.seats[i].status = status;
      changed.push(i);
      if (status !== 'available' && this.selected.delete(i)) lost.push(this.seats[i]);
    }
    // Past a few hundred seats one full draw is cheaper than many small ones.
    if (changed.length > 500) this.draw();
    else changed.forEach((i) => this.drawSeat(i));
    if (lost.length) this.onChange();
    return lost;
  }

  markBooked(ids) {
    return this.update(ids.map((id) => ({ id, status: 'booked' })));
  }

  markHeld(ids) {
    return this.update(ids.map((id) => ({ id, status: 'held' })));
  }

  destroy() {
    this.resizeObserver.disconnect();
  }

  // Geometry

  layout() {
    const available = this.canvas.parentElement.clientWidth;
    const widest = Math.max(1, ...this.sections.map((s) => s.seats_per_row));
    const cell = clamp((available - 2 * PAD) / widest, MIN_CELL, MAX_CELL);
    const width = Math.max(available, widest * cell + 2 * PAD);
    let y = PAD + STAGE_HEIGHT;
    for (const section of this.sections) {
      section.x = (width - section.seats_per_row * cell) / 2;
      section.y = y + LABEL_HEIGHT;
      y = section.y + section.rows * cell + SECTION_GAP;
    }
    const height = y + PAD;
    const scale = Math.min(window.devicePixelRatio || 1, MAX_SIDE / width, MAX_SIDE / height, Math.sqrt(MAX_AREA / (width * height)));
    Object.assign(this, { cell, width, height, fittedWidth: available });
    this.canvas.width = Math.round(width * scale);
    this.canvas.height = Math.round(height * scale);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.ctx.setTransform(scale, 0, 0, scale, 0, 0);
  }

  fit() {
    if (this.seats.length && this.canvas.parentElement.clientWidth !== this.fittedWidth) {
      this.layout();
      this.draw();
    }
  }

  /** Top-left corner of a seat's cell. */
  origin(i) {
    const seat = this.seats[i];
    const section = this.sections[this.sectionOf[i]];
    return { x: section.x + (seat.number - 1) * this.cell, y: section.y + (seat.row - 1) * this.cell };
  }

  seatIndexAt(x, y) {
    const { cell } = this;
    const section = this.sections.find((s) => y >= s.y && y < s.y + s.rows * cell);
    if (!section || x < section.x || x >= section.x + section.seats_per_row * cell) return -1;
    return section.grid[Math.floor((y - section.y) / cell) * section.seats_per_row + Math.floor((x - section.x) / cell)];
  }

  seatIndexAtPointer(e) {
    const rect = this.canvas.getBoundingClientRect();
    return this.seatIndexAt(e.clientX - rect.left, e.clientY - rect.top);
  }

  // Drawing

  /** A seat's fill: a colour, or the stripes of a seat held by someone else. */
  fillOf(i) {
    if (this.selected.has(i)) return SELECTED_COLOUR;
    const seat = this.seats[i];
    if (seat.status === 'available') return this.tierColours.get(seat.price_cents);
    if (seat.status === 'held') return this.mine.has(i) ? YOURS_COLOUR : this.heldPattern;
    return BOOKED_COLOUR;
  }

  /** The dot inside a seat of the visitor's own hold. */
  addMark(path, i) {
    const { x, y } = this.origin(i);
    const r = Math.max(1, this.cell * 0.16);
    path.moveTo(x + this.cell / 2 + r, y + this.cell / 2);
    path.arc(x + this.cell / 2, y + this.cell / 2, r, 0, 2 * Math.PI);
  }

  addSeatShape(path, i) {
    const { x, y } = this.origin(i);
    const inset = this.cell >= 8 ? this.cell * 0.1 : 0.5;
    const size = this.cell - 2 * inset;
    if (this.cell >= 10 && path.roundRect) path.roundRect(x + inset, y + inset, size, size, this.cell * 0.2);
    else path.rect(x + inset, y + inset, size, size);
  }

  draw() {
    const { ctx, width } = this;
    ctx.clearRect(0, 0, width, this.height);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const stageWidth = Math.min(width - 2 * PAD, 360);
    ctx.fillStyle = STAGE_COLOUR;
    ctx.fillRect((width - stageWidth) / 2, PAD, stageWidth, STAGE_HEIGHT - 6);
    ctx.fillStyle = TEXT_COLOUR;
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.fillText('STAGE', width / 2, PAD + (STAGE_HEIGHT - 6) / 2);
    ctx.font = '600 13px system-ui, sans-serif';
    for (const section of this.sections) {
      ctx.fillText(`${section.name} · ${money(section.price_cents)}`, width / 2, section.y - LABEL_HEIGHT / 2);
    }
    // One path per fill: a handful of fill calls for any number of seats.
    const paths = new Map();
    const marks = new Path2D();
    for (let i = 0; i < this.seats.length; i++) {
      const fill = this.fillOf(i);
      if (!paths.has(fill)) paths.set(fill, new Path2D());
      this.addSeatShape(paths.get(fill), i);
      if (this.isMine(i) && !this.selected.has(i)) this.addMark(marks, i);
    }
    for (const [fill, path] of paths) {
      ctx.fillStyle = fill;
      ctx.fill(path);
    }
    ctx.fillStyle = YOURS_MARK;
    ctx.fill(marks);
    if (this.cursor >= 0) this.drawSeat(this.cursor);
  }

  drawSeat(i) {
    const { ctx, cell } = this;
    const { x, y } = this.origin(i);
    ctx.clearRect(x, y, cell, cell);
    const path = new Path2D();
    this.addSeatShape(path, i);
    ctx.fillStyle = this.fillOf(i);
    ctx.fill(path);
    if (this.isMine(i) && !this.selected.has(i)) {
      const mark = new Path2D();
      this.addMark(mark, i);
      ctx.fillStyle = YOURS_MARK;
      ctx.fill(mark);
    }
    if (i === this.cursor && document.activeElement === this.canvas) {
      ctx.strokeStyle = FOCUS_COLOUR;
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, cell - 2, cell - 2);
    }
  }

  // Interaction

  toggle(i) {
    if (this.locked || this.seats[i].status !== 'available') return;
    if (this.selected.has(i)) this.selected.delete(i);
    else if (this.selected.size >= this.maxSelection) return this.onLimit();
    else this.selected.add(i);
    this.drawSeat(i);
    this.onChange();
    this.onInspect(this.seats[i]); // its status just changed
  }

  handleClick(e) {
    const i = this.seatIndexAtPointer(e);
    if (i < 0) return;
    this.setCursor(i, false);
    this.toggle(i);
  }

  handleHover(i) {
    this.canvas.style.cursor = !this.locked && i >= 0 && this.seats[i].status === 'available' ? 'pointer' : 'default';
    if (i === this.hovered) return;
    this.hovered = i;
    this.onInspect(i >= 0 ? this.seats[i] : null);
  }

  handleFocus() {
    if (!this.seats.length) return;
    if (this.cursor < 0) this.cursor = Math.max(0, this.seats.findIndex((s) => s.status === 'available'));
    this.drawSeat(this.cursor);
    this.onInspect(this.seats[this.cursor]);
  }

  handleKey(e) {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1], Home: [-Infinity, 0], End: [Infinity, 0] };
    if (!this.seats.length || e.altKey || e.ctrlKey || e.metaKey) return;
    if (moves[e.key]) this.moveCursor(...moves[e.key]);
    else if (e.key === 'Enter' || e.key === ' ') this.toggle(this.cursor);
    else return;
    e.preventDefault();
  }

  /** Moves the cursor by columns (dx) or rows (dy); rows continue into the next or previous section. */
  moveCursor(dx, dy) {
    let k = this.sectionOf[this.cursor];
    let row = this.seats[this.cursor].row - 1 + dy;
    if (row < 0 && k > 0) {
      k -= 1;
      row = this.sections[k].rows - 1;
    } else if (row >= this.sections[k].rows && k < this.sections.length - 1) {
      k += 1;
      row = 0;
    }
    const section = this.sections[k];
    row = clamp(row, 0, section.rows - 1);
    // The column follows the x position, so moving between sections of different widths stays in line.
    const x = this.origin(this.cursor).x + this.cell / 2 + dx * this.cell;
    const column = clamp(Math.floor((x - section.x) / this.cell), 0, section.seats_per_row - 1);
    const next = section.grid[row * section.seats_per_row + column];
    if (next >= 0) this.setCursor(next, true);
  }

  setCursor(i, reveal) {
    const previous = this.cursor;
    this.cursor = i;
    if (previous >= 0 && previous !== i) this.drawSeat(previous);
    this.drawSeat(i);
    if (reveal) this.reveal(i);
    this.onInspect(this.seats[i]);
  }

  /** Scrolls the page (and the map's sideways scroller) so that seat i is in view. */
  reveal(i) {
    const { x, y } = this.origin(i);
    const top = this.canvas.getBoundingClientRect().top + y;
    if (top < REVEAL_TOP) window.scrollBy(0, top - REVEAL_TOP);
    else if (top + this.cell > innerHeight - REVEAL_BOTTOM) window.scrollBy(0, top + this.cell - innerHeight + REVEAL_BOTTOM);
    const scroller = this.canvas.parentElement;
    if (x < scroller.scrollLeft) scroller.scrollLeft = x - PAD;
    else if (x + this.cell > scroller.scrollLeft + scroller.clientWidth) scroller.scrollLeft = x + this.cell + PAD - scroller.clientWidth;
  }
}
