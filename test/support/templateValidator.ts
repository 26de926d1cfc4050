import type { Property, PropertyType, SpecDatabase } from '@aws-cdk/service-spec-types'

/** A CloudFormation template as readDeployTemplate parses it: the intrinsics in their long form. */
export type CloudFormationTemplate = {
  Parameters?: Record<string, Record<string, unknown>>
  Mappings?: Record<string, Record<string, Record<string, unknown>>>
  Conditions?: Record<string, unknown>
  Globals?: Record<string, Record<string, unknown>>
  Resources: Record<string, Record<string, unknown> & { Type: string; Properties?: Record<string, unknown> }>
  Outputs?: Record<string, Record<string, unknown>>
}

const pseudoParameters = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
])
const intrinsics = new Set(
  [
    'Base64 Cidr FindInMap GetAtt GetAZs ImportValue Join Select Split Sub Transform Length ToJsonString',
    'If Equals And Or Not',
  ]
    .join(' ')
    .split(' ')
    .map((name) => `Fn::${name}`),
)
const sections = new Set(
  [
    'AWSTemplateFormatVersion Transform Description Metadata',
    'Parameters Rules Mappings Conditions Globals Resources Outputs',
  ]
    .join(' ')
    .split(' '),
)
const resourceKeys = new Set([
  'Type',
  'Properties',
  'Condition',
  'DependsOn',
  'Metadata',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'CreationPolicy',
  'UpdatePolicy',
])
// The SAM transform turns a function into an AWS::Lambda::Function of the same logical id, whose
// attributes `!GetAtt` then reads (the spec lists none for the SAM type itself).
const generatedBySam: Record<string, string> = { 'AWS::Serverless::Function': 'AWS::Lambda::Function' }
const samGlobals: Record<string, string> = {
  Function: 'AWS::Serverless::Function',
  Api: 'AWS::Serverless::Api',
  HttpApi: 'AWS::Serverless::HttpApi',
  SimpleTable: 'AWS::Serverless::SimpleTable',
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
/** The function's name when the value is one intrinsic function call (`{ Ref: … }`, `{ 'Fn::…': … }`). */
const intrinsicOf = (value: unknown): string | undefined => {
  if (!isObject(value)) return undefined
  const keys = Object.keys(value)
  const [key] = keys
  return keys.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::')) ? key : undefined
}

/**
 * Every problem CloudFormation's resource specification finds in the template, as
 * `path: problem` lines (none: valid as far as the spec can tell). Checks each resource's type,
 * property names, required properties and the type of every literal value, as deep as the spec's
 * property types go (intrinsic functions stand for any value); each `Ref`, `GetAtt`, `Sub`
 * variable, `If` condition, `FindInMap` key and `DependsOn` against what the template declares;
 * and each parameter's default against its own constraints.
 */
export function validateTemplate(template: CloudFormationTemplate, db: SpecDatabase): string[] {
  const resources = template.Resources ?? {}
  const parameters = template.Parameters ?? {}
  const conditions = template.Conditions ?? {}
  const mappings = template.Mappings ?? {}
  const specOf = (type: string) => db.lookup('resource', 'cloudFormationType', 'equals', type)[0]
  const describeType = (type: PropertyType): string =>
    type.type === 'array' || type.type === 'map'
      ? `${type.type} of ${describeType(type.element)}`
      : type.type === 'union'
        ? type.types.map(describeType).join(' | ')
        : type.type === 'ref'
          ? db.get('typeDefinition', type.reference).name
          : type.type

  const checkRef = (name: unknown, path: string): string[] =>
    typeof name === 'string' && (name in parameters || name in resources || pseudoParameters.has(name))
      ? []
      : [`${path}: Ref ${JSON.stringify(name)} names no parameter, resource or pseudo parameter`]
  const checkGetAtt = (target: unknown, path: string): string[] => {
    const [name, attribute] =
      typeof target === 'string'
        ? [target.split('.')[0], target.split('.').slice(1).join('.')]
        : Array.isArray(target)
          ? target
          : []
    const resource = typeof name === 'string' ? resources[name] : undefined
    if (!resource) return [`${path}: GetAtt ${JSON.stringify(target)} names no resource`]
    const spec = specOf(generatedBySam[resource.Type] ?? resource.Type)
    if (!spec || typeof attribute !== 'string' || attribute in spec.attributes) return []
    return [`${path}: GetAtt ${name}.${attribute}: ${resource.Type} has no attribute ${attribute}`]
  }
  const checkSub = (args: unknown, path: string): string[] => {
    const [text, variables = {}] = Array.isArray(args) ? args : [args]
    if (typeof text !== 'string') return [`${path}: Sub takes a string`]
    return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].flatMap(([, name = '']) =>
      name in variables ? [] : name.includes('.') ? checkGetAtt(name, path) : checkRef(name, path),
    )
  }
  const checkFindInMap = (args: unknown, path: string): string[] => {
    const [name, top, second] = Array.isArray(args) ? args : []
    const mapping = typeof name === 'string' ? mappings[name] : undefined
    if (!mapping) return [`${path}: FindInMap names no mapping ${JSON.stringify(name)}`]
    // A key from a parameter must be in the mapping for each value the parameter allows.
    const allowed =
      intrinsicOf(top) === 'Ref' ? parameters[(top as { Ref: string }).Ref]?.AllowedValues : [top]
    return (Array.isArray(allowed) ? allowed : []).flatMap((key) => {
      if (!isObject(key) && !(String(key) in mapping)) return [`${path}: mapping ${name} has no key ${key}`]
      const entry = mapping[String(key)]
      return typeof second === 'string' && entry && !(second in entry)
        ? [`${path}: mapping ${name}.${key} has no key ${second}`]
        : []
    })
  }

  const checkIf = (args: unknown, path: string): string[] => {
    const [condition] = Array.isArray(args) ? args : []
    return typeof condition === 'string' && condition in conditions
      ? []
      : [`${path}: If names no condition ${JSON.stringify(condition)}`]
  }
  const referenceChecks: Record<string, (args: unknown, path: string) => string[]> = {
    Ref: checkRef,
    'Fn::GetAtt': checkGetAtt,
    'Fn::Sub': checkSub,
    'Fn::FindInMap': checkFindInMap,
    'Fn::If': checkIf,
  }
  /** The references of every intrinsic function anywhere in the value. */
  const checkReferences = (value: unknown, path: string): string[] => {
    if (Array.isArray(value)) return value.flatMap((item, i) => checkReferences(item, `${path}[${i}]`))
    if (!isObject(value)) return []
    const fn = intrinsicOf(value)
    const own =
      fn === undefined
        ? []
        : (referenceChecks[fn]?.(value[fn], path) ??
          (intrinsics.has(fn) ? [] : [`${path}: ${fn} is not an intrinsic function`]))
    return [
      ...own,
      ...Object.entries(value).flatMap(([key, item]) => checkReferences(item, `${path}.${key}`)),
    ]
  }

  const checkValue = (value: unknown, type: PropertyType, path: string): string[] => {
    const fn = intrinsicOf(value)
    // Each branch of an If must be a valid value (or AWS::NoValue: no value at all).
    if (fn === 'Fn::If') {
      const [, ...branches] = [(value as { 'Fn::If': unknown })['Fn::If']].flat()
      return branches.flatMap((branch) =>
        isObject(branch) && branch.Ref === 'AWS::NoValue' ? [] : checkValue(branch, type, path),
      )
    }
    if (fn) return []
    const expected = [`${path}: expected ${describeType(type)}, found ${JSON.stringify(value)}`]
    switch (type.type) {
      case 'string': {
        if (!['string', 'number', 'boolean'].includes(typeof value)) return expected
        const allowed = type.allowedValues
        return allowed && !allowed.includes(String(value))
          ? [`${path}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`]
          : []
      }
      case 'number':
      case 'integer': {
        const number = typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN
        const ok =
          value !== '' && (type.type === 'number' ? Number.isFinite(number) : Number.isInteger(number))
        return ok ? [] : expected
      }
      case 'boolean':
        return typeof value === 'boolean' || value === 'true' || value === 'false' ? [] : expected
      case 'date-time':
        return typeof value === 'string' ? [] : expected
      case 'json':
      case 'null':
        return []
      case 'tag':
        return isObject(value) && 'Key' in value && 'Value' in value ? [] : expected
      case 'array':
        return Array.isArray(value)
          ? value.flatMap((item, i) => checkValue(item, type.element, `${path}[${i}]`))
          : expected
      case 'map':
        return isObject(value)
          ? Object.entries(value).flatMap(([key, item]) => checkValue(item, type.element, `${path}.${key}`))
          : expected
      case 'ref': {
        const definition = db.get('typeDefinition', type.reference)
        return isObject(value)
          ? checkProperties(value, definition.properties, definition.name, path)
          : expected
      }
      case 'union': {
        // Valid if one alternative takes it; otherwise the closest alternative's problems.
        const tries = type.types.map((alternative) => checkValue(value, alternative, path))
        return tries.some((problems) => problems.length === 0)
          ? []
          : (tries.sort((a, b) => a.length - b.length)[0] ?? expected)
      }
    }
  }

  const checkProperties = (
    values: Record<string, unknown>,
    spec: Record<string, Property>,
    typeName: string,
    path: string,
  ): string[] => [
    ...Object.entries(spec)
      .filter(([name, property]) => property.required && !(name in values))
      .map(([name]) => `${path}: ${typeName} requires ${name}`),
    ...Object.entries(values).flatMap(([name, value]) => {
      const property = spec[name]
      if (!property) return [`${path}.${name}: not a property of ${typeName}`]
      return checkValue(value, property.type, `${path}.${name}`)
    }),
  ]

  const checkResource = (name: string, resource: CloudFormationTemplate['Resources'][string]): string[] => {
    const path = `Resources.${name}`
    const spec = specOf(resource.Type)
    if (!spec) return [`${path}: no resource type ${resource.Type}`]
    const condition = resource.Condition
    const dependsOn = [resource.DependsOn ?? []].flat()
    return [
      ...Object.keys(resource)
        .filter((key) => !resourceKeys.has(key))
        .map((key) => `${path}.${key}: not a resource attribute`),
      ...(condition === undefined || (typeof condition === 'string' && condition in conditions)
        ? []
        : [`${path}.Condition: names no condition ${JSON.stringify(condition)}`]),
      ...dependsOn
        .filter((other) => !(typeof other === 'string' && other in resources))
        .map((other) => `${path}.DependsOn: names no resource ${JSON.stringify(other)}`),
      ...checkProperties(resource.Properties ?? {}, spec.properties, resource.Type, `${path}.Properties`),
      ...checkReferences(resource.Properties ?? {}, `${path}.Properties`),
    ]
  }

  const checkGlobals = (section: string, values: Record<string, unknown>): string[] => {
    const type = samGlobals[section]
    const spec = type ? specOf(type) : undefined
    if (!type || !spec) return [`Globals.${section}: not a SAM globals section`]
    return [
      ...checkProperties(values, spec.properties, type, `Globals.${section}`),
      ...checkReferences(values, `Globals.${section}`),
    ]
  }

  const checkParameter = (name: string, parameter: Record<string, unknown>): string[] => {
    const path = `Parameters.${name}`
    if (!('Default' in parameter)) return []
    const value = parameter.Default
    const number = Number(value)
    const { MinValue: min, MaxValue: max, AllowedValues: allowed, AllowedPattern: pattern } = parameter
    const broken = [
      typeof min === 'number' && !(number >= min) && `below MinValue ${min}`,
      typeof max === 'number' && !(number <= max) && `above MaxValue ${max}`,
      Array.isArray(allowed) && !allowed.map(String).includes(String(value)) && 'not in AllowedValues',
      // CloudFormation matches AllowedPattern against the whole value.
      typeof pattern === 'string' &&
        !new RegExp(`^(?:${pattern})$`).test(String(value)) &&
        'not matching AllowedPattern',
    ].filter((problem): problem is string => typeof problem === 'string')
    return broken.map((problem) => `${path}.Default: ${JSON.stringify(value)} is ${problem}`)
  }

  const checkOutput = (name: string, output: Record<string, unknown>): string[] => [
    ...('Value' in output ? [] : [`Outputs.${name}: has no Value`]),
    ...(output.Condition === undefined || (output.Condition as string) in conditions
      ? []
      : [`Outputs.${name}.Condition: names no condition ${JSON.stringify(output.Condition)}`]),
    ...checkReferences(output, `Outputs.${name}`),
  ]

  return [
    ...Object.keys(template)
      .filter((section) => !sections.has(section))
      .map((section) => `${section}: not a template section`),
    ...Object.entries(parameters).flatMap(([name, parameter]) => checkParameter(name, parameter)),
    ...checkReferences(conditions, 'Conditions'),
    ...Object.entries(template.Globals ?? {}).flatMap(([section, values]) => checkGlobals(section, values)),
    ...Object.entries(resources).flatMap(([name, resource]) => checkResource(name, resource)),
    ...Object.entries(template.Outputs ?? {}).flatMap(([name, output]) => checkOutput(name, output)),
  ]
}
