/** Moved to the service kit; this re-export keeps gateway imports working until they import the kit. */
export { type Periodic, periodic } from '@lagebild/service-kit';
