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

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

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
  parts.push(
    '## Targets',
    '',
    table(
      ['measure', 'value', 'target', 'verdict'],
      checks.map((c) => [
        c.name,
        c.value.toFixed(2),
        `${c.better === 'lower' ? '≤' : '≥'} ${c.target}`,
        passes(c) ? 'met' : '**missed**',
      ]),
    ),
    '',
  )
  if (findings) parts.push(findings.trim(), '')
  return parts.join('\n')
}
