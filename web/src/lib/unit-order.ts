/**
 * The unit list's order, kept per change instead of sorted again for every frame (issue 17,
 * bench:map): at 10,000 units the list's sort was most of React's frame (20–26 ms, twice a second),
 * although a batch rarely changes what the order depends on: a unit's urgency (emergency, stage) and
 * its label. A unit whose key stays is replaced in place; one whose key changed is taken out and put
 * back by binary search. The order is compareUnits' (unit-filter.ts) with the labels' collation as
 * numbers: each label gets a rank when it is first seen, between its neighbours in collation order,
 * so a new label costs a binary search with the collator instead of a new sort of every label.
 */
import type { UnitLive } from '@lagebild/protocol';

/** What the list and map show as a unit's state; emergency overrides the stage. */
export type UnitStatus = 'emergency' | 'recording' | 'display' | 'standby';

/** the list's order of statuses: emergencies first */
export const URGENCY: Record<UnitStatus, number> = { emergency: 0, recording: 1, display: 2, standby: 3 };

const collator = new Intl.Collator('de', { numeric: true, sensitivity: 'base' });
/** the list's order of labels: natural order ("KOD 2" before "KOD 10"), case and accents alike */
export const collateLabels = (a: string, b: string): number => collator.compare(a, b);

export function statusOf(unit: Pick<UnitLive, 'emergency' | 'stage'>): UnitStatus {
  return unit.emergency ? 'emergency' : unit.stage;
}

/** Call sign, or the device label for a camera not assigned to a unit. */
export function labelOf(unit: Pick<UnitLive, 'callsign' | 'deviceLabel'>): string {
  return unit.callsign ?? unit.deviceLabel;
}

interface Entry {
  unit: UnitLive;
  id: string;
  urgency: number;
  label: string;
  rank: number;
}

function compare(a: Entry, b: Entry): number {
  return a.urgency - b.urgency || a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Ranks of labels in collation order; labels the collator calls equal ("KOD 1", "Kod 1") share one.
 * Ranks are numbers with room between them: a new label takes the middle of its neighbours' ranks,
 * and when no number is left between them every label is numbered again (`renumbered` is true).
 */
export function createLabelRanks() {
  /** distinct labels in collation order, and each one's rank (rising) */
  let labels: string[] = [];
  let ranks = new Map<string, number>();
  const GAP = 1024;

  function renumber(sorted: string[]): void {
    labels = sorted;
    ranks = new Map();
    let rank = 0;
    for (const [i, label] of sorted.entries()) {
      if (i > 0 && collateLabels(sorted[i - 1]!, label) !== 0) rank += GAP;
      ranks.set(label, rank);
    }
  }

  return {
    /** the label's rank; `renumbered` when every rank given before has changed */
    rankOf(label: string): { rank: number; renumbered: boolean } {
      const known = ranks.get(label);
      if (known !== undefined) return { rank: known, renumbered: false };
      let lo = 0;
      let hi = labels.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (collateLabels(labels[mid]!, label) < 0) lo = mid + 1;
        else hi = mid;
      }
      // lo: the first label not before this one
      const next = labels[lo];
      const prev = labels[lo - 1];
      let rank: number | undefined;
      if (next !== undefined && collateLabels(next, label) === 0) rank = ranks.get(next)!;
      else {
        const below = prev === undefined ? undefined : ranks.get(prev)!;
        const above = next === undefined ? undefined : ranks.get(next)!;
        if (below === undefined && above === undefined) rank = 0;
        else if (below === undefined) rank = above! - GAP;
        else if (above === undefined) rank = below + GAP;
        else {
          const middle = below + (above - below) / 2;
          if (middle > below && middle < above) rank = middle;
        }
      }
      labels.splice(lo, 0, label);
      if (rank === undefined) {
        renumber(labels);
        return { rank: ranks.get(label)!, renumbered: true };
      }
      ranks.set(label, rank);
      return { rank, renumbered: false };
    },
    /** forgets every label and ranks these (in any order) afresh */
    reset(all: Iterable<string>): void {
      renumber([...new Set(all)].sort(collateLabels));
    },
    rankOfKnown: (label: string): number | undefined => ranks.get(label),
  };
}

/** more new labels than this in a reset are ranked by one sort of all labels, fewer one by one */
const NEW_LABELS_SORTED = 256;

/** The on-duty units in list order (urgency, then call sign in natural order, then device). */
export function createUnitOrder() {
  let entries: Entry[] = [];
  const byId = new Map<string, Entry>();
  const labelRanks = createLabelRanks();

  /** the index of an entry in `entries`, found by its key (keys are unique: the device breaks ties) */
  function indexOf(entry: Entry): number {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(entries[mid]!, entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function rerank(): void {
    for (const entry of entries) entry.rank = labelRanks.rankOfKnown(entry.label)!;
  }

  return {
    /** puts a unit in (or moves it to) its place */
    upsert(unit: UnitLive): void {
      const urgency = URGENCY[statusOf(unit)];
      const label = labelOf(unit);
      const held = byId.get(unit.deviceId);
      if (held && held.urgency === urgency && held.label === label) {
        held.unit = unit;
        return;
      }
      if (held) entries.splice(indexOf(held), 1);
      const { rank, renumbered } = labelRanks.rankOf(label);
      // a renumbering keeps the labels' order, so the entries stay sorted under their new ranks
      if (renumbered) rerank();
      const entry: Entry = held ?? { unit, id: unit.deviceId, urgency, label, rank };
      entry.unit = unit;
      entry.urgency = urgency;
      entry.label = label;
      entry.rank = rank;
      byId.set(entry.id, entry);
      entries.splice(indexOf(entry), 0, entry);
    },
    remove(deviceId: string): void {
      const held = byId.get(deviceId);
      if (!held) return;
      entries.splice(indexOf(held), 1);
      byId.delete(deviceId);
    },
    /**
     * these units and no others, sorted once. The labels known from before keep their ranks (a
     * reconnect's snapshot brings the same labels: collating 10,000 of them again took ~100 ms); a
     * first snapshot, or one with many new labels, ranks them all in one sort.
     */
    reset(units: Iterable<UnitLive>): void {
      const list = [...units];
      const labels = list.map(labelOf);
      let unknown = 0;
      for (const label of labels) if (labelRanks.rankOfKnown(label) === undefined) unknown += 1;
      if (unknown > NEW_LABELS_SORTED) labelRanks.reset(labels);
      else for (const label of labels) labelRanks.rankOf(label);
      byId.clear();
      entries = list.map((unit) => {
        const label = labelOf(unit);
        return {
          unit,
          id: unit.deviceId,
          urgency: URGENCY[statusOf(unit)],
          label,
          rank: labelRanks.rankOfKnown(label)!,
        };
      });
      entries.sort(compare);
      for (const entry of entries) byId.set(entry.id, entry);
    },
    /** the units in order, a new array */
    units(): UnitLive[] {
      const out = new Array<UnitLive>(entries.length);
      for (let i = 0; i < entries.length; i++) out[i] = entries[i]!.unit;
      return out;
    },
    get size(): number {
      return entries.length;
    },
  };
}
export type UnitOrder = ReturnType<typeof createUnitOrder>;
