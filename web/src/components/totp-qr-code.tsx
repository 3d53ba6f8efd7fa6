/**
 * The otpauth:// URI of a new second factor as a QR code for the authenticator app (issue 15):
 * drawn as inline SVG (black on white whatever the theme, with the quiet zone the standard asks
 * for), so no image request, no canvas and nothing the page's CSP would have to allow.
 */
import { qrModules, qrPath } from '@/lib/qr-modules';

const QUIET_ZONE = 4;

export function TotpQrCode({ uri, label }: { uri: string; label: string }) {
  const m = qrModules(uri);
  const side = m.size + 2 * QUIET_ZONE;
  return (
    <svg
      className="totp-qr"
      data-testid="totp-qr"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${side} ${side}`}
      width={220}
      height={220}
      shapeRendering="crispEdges"
    >
      <rect width={side} height={side} fill="#fff" />
      <path d={qrPath(m, QUIET_ZONE)} fill="#000" />
    </svg>
  );
}
