// A seat map drawn on one <canvas>: sections stacked under the stage, rows
// top to bottom, seat numbers left to right. Seats are found from pointer
// coordinates by arithmetic (section by y, then row and column), so a
// 20,000-seat event costs one draw and no DOM nodes per seat.
import { money } from './format.js';

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
const FOCUS_COLOUR = '#f59e0b';
const STAGE_COLOUR = '#e2e8f0';
const TEXT_COLOUR = '#334155';

const tierColour = (i) => TIER_COLOURS[i] ?? `hsl(${(i * 137.5) % 360} 60% 42%)`;
const clamp = (n, low, high) => Math.min(high, Math.max(low, n));

/** "Stalls row 3 seat 5" */
export const seatLabel = (seat) => `${seat.section} row ${seat.row} seat ${seat.number}`;

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
    this.cursor = -1; // keyboard cursor, a seat index
    this.hovered = -1;
    this.fittedWidth = 0;

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

  get availableCount() {
    return this.seats.reduce((n, seat) => n + (seat.status === 'available'), 0);
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

  /** 'available', 'booked' or 'selected'; null for an unknown id. */
  status(id) {
    const i = this.byId.get(id);
    if (i === undefined) return null;
    return this.selected.has(i) ? 'selected' : this.seats[i].status;
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

  colourOf(i) {
    if (this.selected.has(i)) return SELECTED_COLOUR;
    const seat = this.seats[i];
    return seat.status === 'available' ? this.tierColours.get(seat.price_cents) : BOOKED_COLOUR;
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
    // One path per colour: a handful of fill calls for any number of seats.
    const paths = new Map();
    for (let i = 0; i < this.seats.length; i++) {
      const colour = this.colourOf(i);
      if (!paths.has(colour)) paths.set(colour, new Path2D());
      this.addSeatShape(paths.get(colour), i);
    }
    for (const [colour, path] of paths) {
      ctx.fillStyle = colour;
      ctx.fill(path);
    }
    if (this.cursor >= 0) this.drawSeat(this.cursor);
  }

  drawSeat(i) {
    const { ctx, cell } = this;
    const { x, y } = this.origin(i);
    ctx.clearRect(x, y, cell, cell);
    const path = new Path2D();
    this.addSeatShape(path, i);
    ctx.fillStyle = this.colourOf(i);
    ctx.fill(path);
    if (i === this.cursor && document.activeElement === this.canvas) {
      ctx.strokeStyle = FOCUS_COLOUR;
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, cell - 2, cell - 2);
    }
  }

  // Interaction

  toggle(i) {
    if (this.seats[i].status !== 'available') return;
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
    this.canvas.style.cursor = i >= 0 && this.seats[i].status === 'available' ? 'pointer' : 'default';
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
