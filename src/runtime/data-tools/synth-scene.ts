// Synthetic scenes for the starter corpus: 1-3 copies of one coloured shape on a 3x3 grid of
// positions, with a caption that says exactly what the pixels show (count, colour, shape, places),
// so a tiny model can learn it.
import type { Prng } from "../data/prng.js";
import type { RgbaImage } from "../data/image-decode.js";

export const COLOURS = {
  red: [220, 40, 40],
  green: [40, 180, 60],
  blue: [50, 90, 230],
  yellow: [235, 210, 40],
  purple: [150, 60, 200],
  orange: [240, 140, 30],
  white: [235, 235, 235],
} as const satisfies Record<string, readonly [number, number, number]>;

export type Colour = keyof typeof COLOURS;
export const SHAPES = ["circle", "square", "triangle", "diamond"] as const;
export type Shape = (typeof SHAPES)[number];
/** Row-major 3x3 grid; captions list positions in this order. */
export const POSITIONS = [
  "top left",
  "top",
  "top right",
  "left",
  "center",
  "right",
  "bottom left",
  "bottom",
  "bottom right",
] as const;
export type Position = (typeof POSITIONS)[number];

export interface Scene {
  colour: Colour;
  shape: Shape;
  /** Grid cells, ascending (row-major). */
  cells: number[];
  /** Pixel jitter per object, so copies are not pixel-identical. */
  jitter: [number, number][];
}

const BACKGROUND = [24, 24, 28] as const;
const NUMBERS = ["zero", "one", "two", "three"] as const;

export function randomScene(rng: Prng): Scene {
  const colours = Object.keys(COLOURS) as Colour[];
  const colour = colours[rng.nextInt(colours.length)] as Colour;
  const shape = SHAPES[rng.nextInt(SHAPES.length)] as Shape;
  const count = 1 + rng.nextInt(3);
  const cells = rng
    .shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8])
    .slice(0, count)
    .sort((a, b) => a - b);
  const jitter = cells.map((): [number, number] => [rng.nextInt(5) - 2, rng.nextInt(5) - 2]);
  return { colour, shape, cells, jitter };
}

export function describeScene(scene: Scene): string {
  const n = scene.cells.length;
  const places = scene.cells.map((c) => `the ${POSITIONS[c] ?? "center"}`);
  const list =
    places.length === 1
      ? places[0]
      : `${places.slice(0, -1).join(", ")} and ${places[places.length - 1]}`;
  const noun = n === 1 ? scene.shape : `${scene.shape}s`;
  const article = n === 1 ? "a" : NUMBERS[n];
  return `${article} ${scene.colour} ${noun} at ${list}.`;
}

export function renderScene(scene: Scene, size: number): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    data[i * 4] = BACKGROUND[0];
    data[i * 4 + 1] = BACKGROUND[1];
    data[i * 4 + 2] = BACKGROUND[2];
    data[i * 4 + 3] = 255;
  }
  const [r, g, b] = COLOURS[scene.colour];
  const radius = size * 0.12;
  scene.cells.forEach((cell, k) => {
    const [jx, jy] = scene.jitter[k] ?? [0, 0];
    const cx = ((cell % 3) * 2 + 1) * (size / 6) + jx * (size / 64);
    const cy = (Math.floor(cell / 3) * 2 + 1) * (size / 6) + jy * (size / 64);
    const lo = (v: number) => Math.max(0, Math.floor(v - radius - 1));
    const hi = (v: number) => Math.min(size - 1, Math.ceil(v + radius + 1));
    for (let y = lo(cy); y <= hi(cy); y++) {
      for (let x = lo(cx); x <= hi(cx); x++) {
        if (!inside(scene.shape, x + 0.5 - cx, y + 0.5 - cy, radius)) continue;
        const p = (y * size + x) * 4;
        data[p] = r;
        data[p + 1] = g;
        data[p + 2] = b;
      }
    }
  });
  return { width: size, height: size, data };
}

function inside(shape: Shape, dx: number, dy: number, r: number): boolean {
  switch (shape) {
    case "circle":
      return dx * dx + dy * dy <= r * r;
    case "square":
      return Math.abs(dx) <= r * 0.85 && Math.abs(dy) <= r * 0.85;
    case "triangle":
      return dy >= -r && dy <= r * 0.8 && Math.abs(dx) <= ((dy + r) / (1.8 * r)) * r;
    case "diamond":
      return Math.abs(dx) + Math.abs(dy) <= r;
  }
}
