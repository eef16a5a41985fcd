/**
 * Splits an SSH exec request's command string into words the way a POSIX shell
 * would for the simple cases users type: whitespace separates, single quotes are
 * literal, double quotes allow \" and \\, a backslash escapes the next character.
 * `rest` keeps the raw text after each word, so `SESSION CMD...` can hand CMD to
 * the container's shell untouched, exactly as sshd hands it to the user's shell.
 */
export interface Word {
  value: string;
  /** Raw command text after this word (leading whitespace removed). */
  rest: string;
}

export function splitCommandLine(line: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n';
  while (i < n) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) break;
    let value = '';
    while (i < n && !isSpace(line[i])) {
      const c = line[i]!;
      if (c === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new SyntaxError('unterminated single quote');
        value += line.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        i++;
        while (i < n && line[i] !== '"') {
          if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
          value += line[i];
          i++;
        }
        if (i >= n) throw new SyntaxError('unterminated double quote');
        i++;
      } else if (c === '\\' && i + 1 < n) {
        value += line[i + 1];
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    let restStart = i;
    while (restStart < n && isSpace(line[restStart])) restStart++;
    words.push({ value, rest: line.slice(restStart) });
  }
  return words;
}
