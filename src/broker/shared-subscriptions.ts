// Shared subscriptions ($share/<group>/<filter>, MQTT 4.8.2): the members of one group and the choice of the
// member that receives each message.

export type SharedPickStrategy = 'round_robin' | 'random';

/** The members of one shared subscription `$share/group/filter`. */
export class SharedGroup<M> {
  // An array, not only a Set, so round robin can index into it; groups are small, so removal's splice is cheap.
  readonly #members: M[] = [];
  readonly #memberSet = new Set<M>();
  readonly #strategy: SharedPickStrategy;
  #next = 0;

  constructor(
    readonly group: string,
    readonly filter: string,
    strategy: SharedPickStrategy,
  ) {
    this.#strategy = strategy;
  }

  get size(): number {
    return this.#members.length;
  }

  add(member: M): boolean {
    if (this.#memberSet.has(member)) return false;
    this.#memberSet.add(member);
    this.#members.push(member);
    return true;
  }

  remove(member: M): boolean {
    if (!this.#memberSet.delete(member)) return false;
    const index = this.#members.indexOf(member);
    this.#members.splice(index, 1);
    // Keep the rotation where it was: the member after the removed one is still next.
    if (index < this.#next) this.#next--;
    if (this.#next >= this.#members.length) this.#next = 0;
    return true;
  }

  has(member: M): boolean {
    return this.#memberSet.has(member);
  }

  members(): Iterable<M> {
    return this.#members;
  }

  /** Next member by the strategy, skipping those for which accept(member) is false; undefined if none accepts. */
  pick(accept?: (member: M) => boolean): M | undefined {
    const count = this.#members.length;
    if (count === 0) return undefined;
    // [MQTT-4.8.2-3] each message goes to only one member; a member that cannot take it (offline, over its
    // receive maximum) is skipped so another one gets it.
    const start = this.#strategy === 'random' ? Math.floor(Math.random() * count) : this.#next;
    for (let offset = 0; offset < count; offset++) {
      const index = (start + offset) % count;
      const member = this.#members[index]!;
      if (accept === undefined || accept(member)) {
        this.#next = (index + 1) % count;
        return member;
      }
    }
    return undefined;
  }
}
