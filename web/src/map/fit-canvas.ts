import * as L from 'leaflet';

/**
 * Sizes a canvas to the map's view plus `padding` px on every side for the device pixel ratio, pins
 * its top-left corner to that of the padded view (the pane moves with the map while panning, so a
 * padded canvas still covers the view after a pan of up to `padding` px without being redrawn),
 * then clears it. Drawing coordinates are CSS pixels from the canvas's top-left corner, which is
 * `map.containerPointToLayerPoint([-padding, -padding])` in layer pixels.
 */
export function fitCanvas(
  canvas: HTMLCanvasElement,
  map: L.Map,
  size: L.Point,
  dpr: number,
  padding = 0,
): CanvasRenderingContext2D | null {
  const cssWidth = size.x + 2 * padding;
  const cssHeight = size.y + 2 * padding;
  const width = Math.round(cssWidth * dpr);
  const height = Math.round(cssHeight * dpr);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
    canvas.style.width = `${cssWidth}px`;
    canvas.style.height = `${cssHeight}px`;
  }
  L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([-padding, -padding]));
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  return ctx;
}
