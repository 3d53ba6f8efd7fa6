/**
 * Real places in the two pilot cities where Ordnungsamt patrols go: squares, shopping streets,
 * stations, parks and problem districts. Coordinates are WGS84 and meant to be right to within
 * about 50 m (taken from the map; public squares, not addresses). Foot patrols walk between
 * neighbouring points of one area; vehicle units drive between areas.
 */
import type { LatLng } from './geo.ts';

export type City = 'duisburg' | 'dortmund';
export const CITIES: readonly City[] = ['duisburg', 'dortmund'];

export interface Waypoint extends LatLng {
  readonly name: string;
  /** neighbourhood; foot patrols stay in (or next to) one */
  readonly area: string;
}

const wp = (name: string, area: string, lat: number, lng: number): Waypoint => ({ name, area, lat, lng });

export const WAYPOINTS: Readonly<Record<City, readonly Waypoint[]>> = {
  duisburg: [
    wp('Hauptbahnhof / Portsmouthplatz', 'Innenstadt', 51.4302, 6.7748),
    wp('Königstraße / Friedrich-Wilhelm-Platz', 'Innenstadt', 51.4318, 6.7718),
    wp('Königstraße / Lifesaver-Brunnen', 'Innenstadt', 51.4328, 6.769),
    wp('König-Heinrich-Platz', 'Innenstadt', 51.4335, 6.7658),
    wp('Averdunkplatz', 'Innenstadt', 51.4346, 6.7684),
    wp('Kuhtor', 'Altstadt', 51.4343, 6.7631),
    wp('Sonnenwall', 'Altstadt', 51.4327, 6.7612),
    wp('Burgplatz / Rathaus', 'Altstadt', 51.4362, 6.7617),
    wp('Innenhafen / Schwanentor', 'Altstadt', 51.4381, 6.7594),
    wp('Innenhafen / Garten der Erinnerung', 'Altstadt', 51.4389, 6.7662),
    wp('Dellplatz', 'Dellviertel', 51.4302, 6.7618),
    wp('Kantpark / Lehmbruck-Museum', 'Dellviertel', 51.43, 6.7698),
    wp('Hochfeld / Wanheimer Straße', 'Hochfeld', 51.4212, 6.7602),
    wp('Hochfeld / Rheinpark', 'Hochfeld', 51.4208, 6.7488),
    wp('Hamborn / Rathaus', 'Hamborn-Marxloh', 51.4942, 6.7726),
    wp('Marxloh / Pollmannkreuz', 'Hamborn-Marxloh', 51.4988, 6.777),
    wp('Marxloh / Weseler Straße', 'Hamborn-Marxloh', 51.5015, 6.7783),
    wp('Marxloh / Merkez-Moschee', 'Hamborn-Marxloh', 51.5047, 6.7797),
  ],
  dortmund: [
    wp('Hauptbahnhof', 'City', 51.5176, 7.4592),
    wp('Katharinentreppe', 'City', 51.5166, 7.4606),
    wp('Westenhellweg / Petrikirche', 'City', 51.5141, 7.4607),
    wp('Westenhellweg / Westentor', 'City', 51.5133, 7.4553),
    wp('Hansaplatz', 'City', 51.5129, 7.4634),
    wp('Alter Markt', 'City', 51.5138, 7.4663),
    wp('Reinoldikirche', 'City', 51.5139, 7.4678),
    wp('Brückstraße', 'City', 51.5157, 7.4666),
    wp('Ostenhellweg', 'City', 51.5137, 7.4722),
    wp('Friedensplatz', 'City', 51.5117, 7.4668),
    wp('Stadtgarten', 'City', 51.5099, 7.4647),
    wp('Dortmunder U', 'City', 51.5154, 7.4528),
    wp('Hauptbahnhof Nord / Steinplatz', 'Nordstadt', 51.5195, 7.4597),
    wp('Nordmarkt', 'Nordstadt', 51.5252, 7.4575),
    wp('Münsterstraße', 'Nordstadt', 51.5252, 7.4624),
    wp('Keuningpark', 'Nordstadt', 51.5212, 7.4668),
    wp('Borsigplatz', 'Nordstadt', 51.5253, 7.4884),
  ],
};

/** Walking neighbours: other points within this distance are reachable on foot in one leg. */
export const FOOT_NEIGHBOUR_RADIUS_M = 1100;
