const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/**
 * `text` safe inside HTML element content and quoted attribute values. Everything a user
 * supplies (names, addresses) goes through this before it reaches a message or a page.
 */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => entities[c] as string)
