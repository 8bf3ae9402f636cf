/**
 * A set of live objects of one kind, held weakly (an object the application
 * drops is collected and leaves on its own), and the taps that watch each of
 * them: the status page lists them, the event logger taps every one, those
 * added after it too. Objects join once, at construction: nothing here runs
 * per call or per request.
 */
export class LiveSet<T extends object> {
  private readonly members = new Set<WeakRef<T>>();
  private readonly taps = new Set<(member: T) => void>();

  /** Adds a new member and attaches every current tap to it. */
  add(member: T): void {
    this.members.add(new WeakRef(member));
    for (const tap of this.taps) tap(member);
  }

  /** The members alive now, in the order they joined. */
  live(): T[] {
    const live: T[] = [];
    for (const ref of this.members) {
      const member = ref.deref();
      if (member === undefined) this.members.delete(ref);
      else live.push(member);
    }
    return live;
  }

  /**
   * Attaches `tap` to every live member and to each one added later; `tap`
   * returns what detaches it from that member, if anything. Returns the
   * function that detaches it from all of them. A member collected meanwhile
   * drops its detacher, so members created and dropped by the thousand leave
   * nothing behind.
   */
  tap(tap: (member: T) => (() => void) | undefined): () => void {
    const detachers = new Set<() => void>();
    const collected = new FinalizationRegistry<() => void>((detach) => detachers.delete(detach));
    const attach = (member: T): void => {
      const detach = tap(member);
      if (detach === undefined) return;
      detachers.add(detach);
      collected.register(member, detach);
    };
    for (const member of this.live()) attach(member);
    this.taps.add(attach);
    return () => {
      this.taps.delete(attach);
      for (const detach of detachers) detach();
      detachers.clear();
    };
  }
}
