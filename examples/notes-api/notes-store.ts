import { randomUUID } from 'node:crypto'

/** A note as the API returns it. */
export interface Note {
  id: string
  title: string
  body: string
  createdAt: string
  updatedAt: string
}

/** What a client sends to create or replace a note. */
export interface NoteInput {
  title: string
  body: string
}

/**
 * In-memory notes, partitioned by owner (the token's `sub`). Every lookup takes the owner, so
 * another user's note is indistinguishable from one that does not exist. Lost on restart.
 */
export class NotesStore {
  private readonly byOwner = new Map<string, Map<string, Note>>()

  constructor(private readonly now: () => Date = () => new Date()) {}

  private notesOf(owner: string): Map<string, Note> {
    let notes = this.byOwner.get(owner)
    if (!notes) {
      notes = new Map()
      this.byOwner.set(owner, notes)
    }
    return notes
  }

  create(owner: string, input: NoteInput): Note {
    const at = this.now().toISOString()
    const note = {
      id: randomUUID(),
      title: input.title,
      body: input.body,
      createdAt: at,
      updatedAt: at,
    }
    this.notesOf(owner).set(note.id, note)
    return note
  }

  list(owner: string): Note[] {
    return [...(this.byOwner.get(owner)?.values() ?? [])]
  }

  get(owner: string, id: string): Note | undefined {
    return this.byOwner.get(owner)?.get(id)
  }

  update(owner: string, id: string, input: NoteInput): Note | undefined {
    const note = this.get(owner, id)
    if (!note) return undefined
    const updated = { ...note, ...input, updatedAt: this.now().toISOString() }
    this.notesOf(owner).set(id, updated)
    return updated
  }

  /** Totals for a reporting client: how many users have notes, and how many notes in all. */
  stats(): { owners: number; notes: number } {
    let owners = 0
    let notes = 0
    for (const owned of this.byOwner.values()) {
      if (owned.size > 0) owners++
      notes += owned.size
    }
    return { owners, notes }
  }

  delete(owner: string, id: string): boolean {
    return this.byOwner.get(owner)?.delete(id) ?? false
  }
}
