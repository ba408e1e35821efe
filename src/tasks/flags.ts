/** `resolution` → `resolution`, `filePath` → `file-path`: the flag a param becomes. */
export function flagName(param: string): string {
  return param
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}
