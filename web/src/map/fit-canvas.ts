import * as L from 'leaflet';

/**
 * Sizes a viewport-sized canvas for the device pixel ratio and pins it to the map container's
 * top-left corner (the pane moves with the map while panning), then clears it.
 */
export function fitCanvas(
  canvas: HTMLCanvasElement,
  map: L.Map,
  size: L.Point,
  dpr: number,
): CanvasRenderingContext2D | null {
  const width = Math.round(size.x * dpr);
  const height = Math.round(size.y * dpr);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
    canvas.style.width = `${size.x}px`;
    canvas.style.height = `${size.y}px`;
  }
  L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, size.x, size.y);
  return ctx;
}
