import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec'
import { describe, expect, it } from 'vitest'
import { readDeployTemplate } from '../support/deployTemplate.js'
import { type CloudFormationTemplate, validateTemplate } from '../support/templateValidator.js'

// Loaded once for the file: about 0.6 s (the spec is 6,000+ types, gzipped JSON).
const db = await loadAwsServiceSpec()
const { template } = readDeployTemplate<CloudFormationTemplate>()

type Json = Record<string, unknown>
/** A copy of the template with one mistake made in it. */
const withMistake = (mistake: (copy: CloudFormationTemplate) => void) => {
  const copy = structuredClone(template)
  mistake(copy)
  return validateTemplate(copy, db)
}
/** A resource's properties, or the object under them at the keys given. */
const propertiesOf = (copy: CloudFormationTemplate, name: string, ...keys: string[]): Json =>
  keys.reduce<Json>((object, key) => object[key] as Json, copy.Resources[name]?.Properties ?? {})

describe('deploy/template.yaml against the CloudFormation resource specification', () => {
  it('has no problem the specification can find', () => {
    expect(validateTemplate(template, db)).toEqual([])
  })

  // Each mistake made in a copy of the template, and what the validator must say about it: the
  // validator cannot pass the real template vacuously.
  it.each<{ mistake: string; make: (copy: CloudFormationTemplate) => void; problems: string[] }>([
    {
      mistake: 'a misspelled property of a property type',
      make: (copy) => {
        const settings = propertiesOf(copy, 'Stage', 'DefaultRouteSettings')
        settings.ThrottlingRateLimt = settings.ThrottlingRateLimit
        delete settings.ThrottlingRateLimit
      },
      problems: [
        'Resources.Stage.Properties.DefaultRouteSettings.ThrottlingRateLimt: not a property of RouteSettings',
      ],
    },
    {
      mistake: 'an attribute the resource type does not have',
      make: (copy) => {
        propertiesOf(copy, 'FanOutEventSource').EventSourceArn = { 'Fn::GetAtt': 'FanOutQueue.Arnn' }
      },
      problems: [
        'Resources.FanOutEventSource.Properties.EventSourceArn: GetAtt FanOutQueue.Arnn: AWS::SQS::Queue has no attribute Arnn',
      ],
    },
    {
      mistake: 'an attribute in a Sub the resource type does not have',
      make: (copy) => {
        propertiesOf(copy, 'RouterIntegration', 'IntegrationUri')['Fn::Sub'] =
          `functions/\${RouterFunction.Arm}`
      },
      problems: [
        'Resources.RouterIntegration.Properties.IntegrationUri: GetAtt RouterFunction.Arm: AWS::Serverless::Function has no attribute Arm',
      ],
    },
    {
      mistake: 'a misspelled resource property',
      make: (copy) => {
        propertiesOf(copy, 'FanOutQueue').VisibilityTimeOut = propertiesOf(
          copy,
          'FanOutQueue',
        ).VisibilityTimeout
        delete propertiesOf(copy, 'FanOutQueue').VisibilityTimeout
      },
      problems: ['Resources.FanOutQueue.Properties.VisibilityTimeOut: not a property of AWS::SQS::Queue'],
    },
    {
      mistake: 'a misspelled SAM Globals property',
      make: (copy) => {
        const globals = copy.Globals?.Function ?? {}
        globals.Runtme = globals.Runtime
        delete globals.Runtime
      },
      problems: ['Globals.Function.Runtme: not a property of AWS::Serverless::Function'],
    },
    {
      mistake: 'a required property missing',
      make: (copy) => {
        delete propertiesOf(copy, 'Stage').ApiId
      },
      problems: ['Resources.Stage.Properties: AWS::ApiGatewayV2::Stage requires ApiId'],
    },
    {
      mistake: 'a resource type that does not exist',
      make: (copy) => {
        const queue = copy.Resources.FanOutDeadLetterQueue
        if (queue) queue.Type = 'AWS::SQS::Queues'
      },
      problems: ['Resources.FanOutDeadLetterQueue: no resource type AWS::SQS::Queues'],
    },
    {
      mistake: 'a word where the spec wants an integer',
      make: (copy) => {
        propertiesOf(copy, 'FanOutDeadLetterQueue').MessageRetentionPeriod = 'two weeks'
      },
      problems: [
        'Resources.FanOutDeadLetterQueue.Properties.MessageRetentionPeriod: expected integer, found "two weeks"',
      ],
    },
    {
      mistake:
        'a misspelled property of the event source scaling config, and a fraction where it takes an integer',
      make: (copy) => {
        propertiesOf(copy, 'FanOutEventSource').ScalingConfig = { MaximumConcurrency: 2.5, MaxConcurrency: 2 }
      },
      problems: [
        'Resources.FanOutEventSource.Properties.ScalingConfig.MaximumConcurrency: expected integer, found 2.5',
        'Resources.FanOutEventSource.Properties.ScalingConfig.MaxConcurrency: not a property of ScalingConfig',
      ],
    },
    {
      mistake: 'a word where the spec wants a property type',
      make: (copy) => {
        propertiesOf(copy, 'Stage').DefaultRouteSettings = 'fast'
      },
      problems: ['Resources.Stage.Properties.DefaultRouteSettings: expected RouteSettings, found "fast"'],
    },
    {
      mistake: 'a branch of an If that is not what the property takes',
      make: (copy) => {
        propertiesOf(copy, 'FanOutDeadLetterAlarm').AlarmActions = {
          'Fn::If': ['NoAlarmTopic', { Ref: 'AWS::NoValue' }, 'arn:aws:sns:eu-west-1:123456789012:alarms'],
        }
      },
      problems: [
        'Resources.FanOutDeadLetterAlarm.Properties.AlarmActions: expected array of string, found "arn:aws:sns:eu-west-1:123456789012:alarms"',
      ],
    },
    {
      mistake: 'an environment variable that is not a string',
      make: (copy) => {
        propertiesOf(copy, 'RouterFunction', 'Environment', 'Variables').CHATDB_TABLE = { Name: 'chat' }
      },
      problems: [
        'Resources.RouterFunction.Properties.Environment.Variables.CHATDB_TABLE: expected string, found {"Name":"chat"}',
      ],
    },
    {
      mistake: 'a Ref to nothing, in an output',
      make: (copy) => {
        const output = copy.Outputs?.TableName
        if (output) output.Value = { Ref: 'ChatTabel' }
      },
      problems: ['Outputs.TableName.Value: Ref "ChatTabel" names no parameter, resource or pseudo parameter'],
    },
    {
      mistake: 'an If on a condition nobody declared',
      make: (copy) => {
        propertiesOf(copy, 'ChatTable').DeletionProtectionEnabled = {
          'Fn::If': ['IsProduction', true, { Ref: 'AWS::NoValue' }],
        }
      },
      problems: [
        'Resources.ChatTable.Properties.DeletionProtectionEnabled: If names no condition "IsProduction"',
      ],
    },
    {
      mistake: 'a mapping without a key one allowed value of its parameter needs',
      make: (copy) => {
        const timeout = copy.Parameters?.FanOutTimeout ?? {}
        timeout.AllowedValues = [30, ...(timeout.AllowedValues as number[])]
      },
      problems: [
        'Resources.FanOutQueue.Properties.VisibilityTimeout: mapping FanOutVisibility has no key 30',
      ],
    },
    {
      mistake: 'a misspelled template section',
      make: (copy) => {
        Object.assign(copy, { Output: copy.Outputs })
        delete copy.Outputs
      },
      problems: ['Output: not a template section'],
    },
    {
      mistake: 'a parameter default outside its own bounds',
      make: (copy) => {
        const parameter = copy.Parameters?.FanOutBatchSize
        if (parameter) parameter.Default = 11
      },
      problems: ['Parameters.FanOutBatchSize.Default: 11 is above MaxValue 10'],
    },
    {
      mistake: 'a misspelled intrinsic function',
      make: (copy) => {
        propertiesOf(copy, 'FanOutEventSource').EventSourceArn = { 'Fn::GetAttr': 'FanOutQueue.Arn' }
      },
      problems: [
        'Resources.FanOutEventSource.Properties.EventSourceArn: Fn::GetAttr is not an intrinsic function',
      ],
    },
  ])('finds $mistake', ({ make, problems }) => {
    expect(withMistake(make)).toEqual(problems)
  })
})
