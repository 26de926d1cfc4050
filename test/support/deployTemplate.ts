import { pathToFileURL } from 'node:url'
import { templatePath } from '../../bench/deployTemplate.js'

// The loader lives in bench/ because the models read the deployment's settings too (bench/
// compiles on its own and does not reach into test/).
export { cloudFormationTags, readDeployTemplate } from '../../bench/deployTemplate.js'

export const templateUrl = pathToFileURL(templatePath)
