import assert from 'node:assert/strict'
import type { Document, Element } from 'domhandler'
import { findAll, findOne, getAttributeValue, textContent } from 'domutils'
import { parseDocument } from 'htmlparser2'

/** A parsed HTML page and the queries the page tests ask of it. */
export interface HtmlPage {
  document: Document
  all: (test: (element: Element) => boolean) => Element[]
  one: (test: (element: Element) => boolean) => Element
  /** The element with this id (asserts it exists). */
  byId: (id: string) => Element
  /** The `<input>` named `name` (asserts it exists). */
  input: (name: string) => Element
  text: (element?: Element) => string
}

export const attr = (element: Element, name: string) => getAttributeValue(element, name)

/** Parses `html` (htmlparser2, as a browser would tokenize it). */
export function parsePage(html: string): HtmlPage {
  const document = parseDocument(html)
  const all = (test: (element: Element) => boolean) => findAll(test, document.children)
  const one = (test: (element: Element) => boolean) => {
    const found = findOne(test, document.children, true)
    assert.ok(found, 'no element matches')
    return found
  }
  return {
    document,
    all,
    one,
    byId: (id) => one((e) => attr(e, 'id') === id),
    input: (name) => one((e) => e.name === 'input' && attr(e, 'name') === name),
    text: (element) =>
      textContent(element ?? document)
        .replace(/\s+/g, ' ')
        .trim(),
  }
}
