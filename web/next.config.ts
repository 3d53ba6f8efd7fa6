/**
 * The control room ships as a static export (web/out) that the gateway serves on the same origin as
 * /api and /socket.io, so the session cookie can stay HttpOnly + SameSite=strict and no CORS is needed.
 */
import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  output: 'export',
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
  // the protocol package is TypeScript source with `.ts` import extensions
  transpilePackages: ['@lagebild/protocol'],
};

export default nextConfig;
