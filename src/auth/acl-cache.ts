// Per-client decision cache: topic -> allowed, so a client publishing to the same topics again pays
// one Map lookup per PUBLISH. Bounded: past `capacity` entries the oldest entry is evicted (Map keeps
// insertion order), so a client cycling through unique topics costs memory it cannot grow.
// Entries carry no expiry: the whole cache is replaced when the rules change (generation number).

export class DecisionCache {
  private readonly entries = new Map<string, boolean>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(topic: string): boolean | undefined {
    return this.entries.get(topic);
  }

  set(topic: string, allowed: boolean): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(topic, allowed);
  }
}
