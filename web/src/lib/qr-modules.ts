/**
 * The modules of a QR code for `text` (byte mode, error correction M, the smallest version that
 * holds it), through the maintained `qrcode-generator` package: what an authenticator app scans to
 * import an otpauth:// URI. Drawn by components/totp-qr-code.tsx as one SVG path.
 */
import qrcode from 'qrcode-generator';

export interface QrModules {
  /** modules per side */
  size: number;
  isDark(row: number, col: number): boolean;
}

export function qrModules(text: string): QrModules {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  return { size: qr.getModuleCount(), isDark: (r, c) => qr.isDark(r, c) };
}

/** One SVG path of unit squares, one per dark module, offset by the quiet zone `margin`. */
export function qrPath(m: QrModules, margin: number): string {
  let d = '';
  for (let r = 0; r < m.size; r++)
    for (let c = 0; c < m.size; c++) if (m.isDark(r, c)) d += `M${c + margin} ${r + margin}h1v1h-1z`;
  return d;
}
