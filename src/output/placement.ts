import type { PlacementProblem } from '../store/place.js';

/** A refused placement in the words of the CLI, whose flags asked for it. */
export function placementWords(problem: PlacementProblem): string {
  switch (problem.kind) {
    case 'symlink-in-target':
      return `Refusing to write through the symlink ${problem.path}; remove it or choose another --out folder.`;
    case 'not-a-folder':
      return `Refusing to place outputs into ${problem.path}, which is not a folder; move it away or choose another --out folder.`;
    case 'folder-in-the-way':
      return `Refusing to replace the folder ${problem.path} with an output file of the same name; move it away or choose another --out folder.`;
    case 'escaping-path':
      return `Refusing to restore the output path ${JSON.stringify(problem.path)}, which leaves the target folder.`;
    case 'escaping-symlink':
      return `Refusing to restore the symlink ${problem.path}, which points outside the target folder.`;
    case 'bad-publish-name':
      return `--publish ${JSON.stringify(problem.name)} is not a valid name; use letters, digits, ".", "_" and "-" (no slashes or "..").`;
    case 'publish-taken':
      return `${problem.path} exists and was not made by --publish; move it away first.`;
  }
}
