/** Reads a Prometheus counter from an exposition (summed over its labels, or for the given label set). */
export function metric(text: string, name: string, labels = ''): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}${labels ? `{${labels}}` : ''}`) && (labels || /^\S+(\{[^}]*\})? /.test(line)))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}
