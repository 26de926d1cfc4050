export interface Check {
  name: string
  value: number
  target: number
  /** Whether the value should be at most (`lower`) or at least (`higher`) the target. */
  better: 'lower' | 'higher'
}

export interface Section {
  title: string
  description: string
  header: string[]
  rows: string[][]
  checks: Check[]
}

export const passes = (check: Check) =>
  check.better === 'lower' ? check.value <= check.target : check.value >= check.target

/** One Markdown table row, as the report writes it. */
export const tableRow = (cells: string[]) => `| ${cells.join(' | ')} |`

function table(header: string[], rows: string[][]): string {
  return [tableRow(header), tableRow(header.map(() => '---')), ...rows.map(tableRow)].join('\n')
}

/** A check's row in the report's Targets table. */
export const checkCells = (c: Check) => [
  c.name,
  c.value.toFixed(2),
  `${c.better === 'lower' ? '≤' : '≥'} ${c.target}`,
  passes(c) ? 'met' : '**missed**',
]

/** The Markdown report: one table per measure, then every target with its verdict. */
export function renderReport(sections: Section[], machine: string[], findings = ''): string {
  const parts = [
    '# Benchmarks',
    '',
    'Written by `npm run bench`; do not edit by hand.',
    '',
    ...machine.map((m) => `- ${m}`),
    '',
  ]
  for (const section of sections) {
    parts.push(`## ${section.title}`, '', section.description, '', table(section.header, section.rows), '')
  }
  const checks = sections.flatMap((s) => s.checks)
  parts.push('## Targets', '', table(['measure', 'value', 'target', 'verdict'], checks.map(checkCells)), '')
  if (findings) parts.push(findings.trim(), '')
  return parts.join('\n')
}
