/**
 * Whether `text` holds control characters (Unicode Cc: NUL, which PostgreSQL cannot store; ESC,
 * which can drive the terminal of whoever prints it), line breaks and tabs allowed if asked.
 */
export function hasControlCharacters(text: string, allowLineBreaks = false): boolean {
  return /\p{Cc}/u.test(allowLineBreaks ? text.replace(/[\t\r\n]/g, '') : text)
}
