# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_request's checks: a table of bad requests (field and rule of each) and good ones."""

import base64
import copy
import json
import re
import uuid

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.api import request
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    PolicyNotAuthorized, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.api.policy import Enforcer

from request_fixtures import (ADMIN, CONTEXT, GROUP_THEIRS, GROUP_WEB, IMG_AUTO, IMG_BAD_CD,
                              IMG_BIG, IMG_DEMO, IMG_KERNEL, IMG_LOST_KERNEL, IMG_LOST_RAMDISK,
                              IMG_NO_RESIZE, IMG_QUEUED, IMG_RAMDISK, NET_MINE,
                              NET_PRIVATE, NET_THEIRS, NET_V6, PORT_1, PORT_2, SERVER, SERVER_1,
                              SERVER_2, SERVERS, SG_WEB, catalog)

DELETE = object()
B64 = base64.b64encode(b'hello').decode()
VOL = '0c1d0000-0000-4000-8000-0000000000aa'
SERVER_3 = '99999999-9999-4999-8999-999999999993'


def server(**changes):
    data = copy.deepcopy(SERVER)
    for key, value in changes.items():
        if value is DELETE:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def build(srv=None, context=None, cat=None, **kwargs):
    kwargs.setdefault('servers', SERVERS)
    kwargs.setdefault('availability_zones', ['nova', 'az1'])
    return request.build_request(server() if srv is None else srv, CONTEXT if context is None else context,
                                 catalog() if cat is None else cat, **kwargs)


def net(**item):
    item.setdefault('uuid', NET_PRIVATE)
    return [item]


def bdm(**item):
    return [dict({'source_type': 'volume', 'uuid': VOL, 'destination_type': 'volume',
                  'boot_index': 0}, **item)]


# the client's own mapping of imageRef, which a block_device_mapping_v2 with an image needs
ROOT = [{'source_type': 'image', 'uuid': IMG_DEMO, 'destination_type': 'local', 'boot_index': 0}]


# (id, server changes, extra build kwargs, field, rule fragment)
BAD = [
    ('unknown-key', dict(foo=1), {}, 'server.foo', 'additional properties'),
    ('trusted-certs', dict(trusted_image_certificates=['x']), {},
     'server.trusted_image_certificates', 'not an allowed property'),
    ('no-name', dict(name=DELETE), {}, 'server.name', 'is required'),
    ('no-flavor', dict(flavorRef=DELETE), {}, 'server.flavorRef', 'is required'),
    ('name-empty', dict(name=''), {}, 'server.name', 'must be 1-255 characters'),
    ('name-long', dict(name='x' * 256), {}, 'server.name', 'must be 1-255 characters'),
    ('name-leading-space', dict(name=' web'), {}, 'server.name', 'leading or trailing whitespace'),
    ('name-trailing-space', dict(name='web '), {}, 'server.name', 'leading or trailing'),
    ('name-trailing-nbsp', dict(name='web\u00a0'), {}, 'server.name', 'leading or trailing'),
    ('name-newline', dict(name='we\nb'), {}, 'server.name', 'printable'),
    ('name-line-separator', dict(name='we\u2028b'), {}, 'server.name', 'printable'),
    ('name-int', dict(name=123), {}, 'server.name', 'must be a string'),
    ('flavor-null', dict(flavorRef=None), {}, 'server.flavorRef', 'non-empty string or an integer'),
    ('flavor-empty', dict(flavorRef=''), {}, 'server.flavorRef', 'non-empty string'),
    ('flavor-bool', dict(flavorRef=True), {}, 'server.flavorRef', 'non-empty string'),
    ('flavor-unknown', dict(flavorRef='nope'), {}, 'server.flavorRef',
     'Flavor nope could not be found.'),
    ('flavor-ambiguous', dict(flavorRef='twin'), {}, 'server.flavorRef', 'Multiple flavors'),
    ('flavor-private', dict(flavorRef='private'), {}, 'server.flavorRef', 'could not be found'),
    ('flavor-disabled', dict(flavorRef='7'), {}, 'server.flavorRef', 'could not be found'),
    ('image-int', dict(imageRef=5), {}, 'server.imageRef', 'must be a string'),
    ('image-unknown', dict(imageRef='nope'), {}, 'server.imageRef', 'Image nope could not be found.'),
    ('image-ambiguous', dict(imageRef='twin'), {}, 'server.imageRef', 'Multiple images'),
    ('image-empty-no-volume', dict(imageRef=''), {}, 'server.imageRef',
     'Missing imageRef attribute'),
    ('image-empty-bdm-list', dict(imageRef=DELETE, block_device_mapping_v2=[]), {},
     'server.imageRef', 'Missing imageRef attribute'),
    ('image-missing', dict(imageRef=DELETE), {}, 'server.imageRef', 'Missing imageRef attribute'),
    ('image-queued', dict(imageRef=IMG_QUEUED), {}, 'server.imageRef', 'is not active'),
    ('image-min-ram', dict(imageRef=IMG_BIG, flavorRef='1'), {}, 'server.flavorRef',
     "Flavor's memory is too small for requested image."),
    ('image-bigger-than-disk', dict(imageRef=IMG_BIG, flavorRef='m1.small'),
     {'cat': catalog(flavors=[{'id': '2', 'name': 'm1.small', 'vcpus': 1, 'ram': 1024,
                               'disk': 1}])},
     'server.flavorRef', "Flavor's disk is too small for requested image."),
    ('image-min-disk', dict(imageRef=IMG_BIG, flavorRef='m1.small'),
     {'cat': catalog(flavors=[{'id': '2', 'name': 'm1.small', 'vcpus': 1, 'ram': 1024,
                               'disk': 3}])},
     'server.flavorRef', 'smaller than the minimum size specified in image metadata'),
    ('zero-disk-member', dict(flavorRef='m1.zero'), {}, 'server.flavorRef',
     'Only volume-backed servers are allowed for flavors with zero disk.'),
    ('kernel-missing', dict(imageRef=IMG_LOST_KERNEL), {}, 'server.imageRef',
     'kernel_id gone, which is not an image'),
    ('ramdisk-missing', dict(imageRef=IMG_LOST_RAMDISK), {}, 'server.imageRef',
     'ramdisk_id gone'),
    ('img-config-drive', dict(imageRef=IMG_BAD_CD), {}, 'server.imageRef',
     "config drive option 'sometimes' is invalid"),
    ('disk-config-disabled', {'imageRef': IMG_NO_RESIZE, 'OS-DCF:diskConfig': 'AUTO'}, {},
     'server.OS-DCF:diskConfig', 'automatic disk resize disabled'),
    ('disk-config-value', {'OS-DCF:diskConfig': 'auto'}, {}, 'server.OS-DCF:diskConfig',
     'must be one of AUTO, MANUAL'),
    ('min-count-zero', dict(min_count=0), {}, 'server.min_count', 'must be >= 1'),
    ('min-count-word', dict(min_count='two'), {}, 'server.min_count', 'must be an integer'),
    ('min-count-bool', dict(min_count=True), {}, 'server.min_count', 'must be an integer'),
    ('min-count-empty', dict(min_count=''), {}, 'server.min_count', 'must be a non-empty string'),
    ('max-count-negative', dict(max_count=-1), {}, 'server.max_count', 'must be >= 1'),
    ('max-count-float', dict(max_count=1.5), {}, 'server.max_count', 'must be an integer'),
    ('min-over-max', dict(min_count=3, max_count=2), {}, 'server.min_count',
     'min_count must be <= max_count'),
    ('networks-word', dict(networks='all'), {}, 'server.networks', 'must be one of none, auto'),
    ('networks-dict', dict(networks={'uuid': NET_PRIVATE}), {}, 'server.networks',
     'must be a list'),
    ('network-not-object', dict(networks=[5]), {}, 'server.networks[0]', 'must be an object'),
    ('network-extra-key', dict(networks=net(bogus=1)), {}, 'server.networks[0].bogus',
     'additional properties'),
    ('network-no-uuid', dict(networks=[{}]), {}, 'server.networks[0].uuid', 'is required'),
    ('network-uuid-int', dict(networks=[{'uuid': 5}]), {}, 'server.networks[0].uuid',
     'must be a string'),
    ('network-unknown', dict(networks=[{'uuid': 'nope'}]), {}, 'server.networks[0].uuid',
     'Network nope could not be found.'),
    ('network-other-project', dict(networks=[{'uuid': NET_THEIRS}]), {},
     'server.networks[0].uuid', 'could not be found'),
    ('network-second-bad', dict(networks=[{'uuid': NET_PRIVATE}, {'uuid': 'x'}]), {},
     'server.networks[1].uuid', 'could not be found'),
    ('fixed-ip-garbage', dict(networks=net(fixed_ip='abc')), {}, 'server.networks[0].fixed_ip',
     'must be an IPv4 or IPv6 address'),
    ('fixed-ip-inet-aton', dict(networks=net(fixed_ip='10.254')), {},
     'server.networks[0].fixed_ip', 'must be an IPv4 or IPv6 address'),
    ('fixed-ip-outside', dict(networks=net(fixed_ip='10.254.1.5')), {},
     'server.networks[0].fixed_ip', 'must be inside 10.254.0.0/24'),
    ('fixed-ip-gateway', dict(networks=net(fixed_ip='10.254.0.1')), {},
     'server.networks[0].fixed_ip', 'must not be the gateway 10.254.0.1'),
    ('fixed-ip-network-address', dict(networks=net(fixed_ip='10.254.0.0')), {},
     'server.networks[0].fixed_ip', 'network or broadcast address'),
    ('fixed-ip-broadcast', dict(networks=net(fixed_ip='10.254.0.255')), {},
     'server.networks[0].fixed_ip', 'network or broadcast address'),
    ('fixed-ip-outside-pool', dict(networks=net(fixed_ip='10.254.0.5')), {},
     'server.networks[0].fixed_ip', 'allocation pools 10.254.0.10-10.254.0.250'),
    ('fixed-ip-wrong-version', dict(networks=net(fixed_ip='fd00:1::5')), {},
     'server.networks[0].fixed_ip', 'must be inside 10.254.0.0/24'),
    ('fixed-ip-v6-outside', dict(networks=net(uuid=NET_V6, fixed_ip='fd00:2::5')), {},
     'server.networks[0].fixed_ip', 'must be inside fd00:1::/64'),
    ('fixed-ip-int', dict(networks=net(fixed_ip=5)), {}, 'server.networks[0].fixed_ip',
     'must be a string'),
    ('fixed-ip-null', dict(networks=net(fixed_ip=None)), {}, 'server.networks[0].fixed_ip',
     'must be a string'),
    ('fixed-ip-in-use', dict(networks=net(fixed_ip='10.254.0.30')), {},
     'server.networks[0].fixed_ip', 'already in use on instance %s' % SERVER_1),
    ('port-and-fixed-ip', dict(networks=[{'port': PORT_1, 'fixed_ip': '10.254.0.20'}]), {},
     'server.networks[0]', 'cannot be specified together'),
    ('port-not-uuid', dict(networks=[{'port': 'port-1'}]), {}, 'server.networks[0].port',
     'must be a uuid'),
    ('port-unknown', dict(networks=[{'port': str(uuid.UUID(int=7))}]), {},
     'server.networks[0].port', 'could not be found'),
    ('port-on-hidden-network', dict(networks=[{'port': PORT_2}]), {},
     'server.networks[0].port', 'could not be found'),
    ('port-twice', dict(networks=[{'port': PORT_1}, {'port': PORT_1}]), {},
     'server.networks[1].port', 'requested more than once'),
    ('multi-fixed-ip', dict(max_count=2, networks=net(fixed_ip='10.254.0.20')), {},
     'server.networks[0].fixed_ip', 'max_count cannot be greater than 1'),
    ('multi-port', dict(max_count=2, networks=[{'port': PORT_1}]), {},
     'server.networks[0].port', 'Unable to launch multiple instances with a single'),
    ('networks-auto-ambiguous', dict(networks='auto'), {}, 'server.networks',
     'Multiple possible networks found'),
    ('networks-absent-ambiguous', dict(networks=DELETE), {}, 'server.networks',
     'Multiple possible networks found'),
    ('networks-auto-none', dict(networks='auto'), {'cat': catalog(networks=[])},
     'server.networks', 'Unable to automatically allocate a network for project demo'),
    ('network-tag-empty', dict(networks=net(tag='')), {}, 'server.networks[0].tag',
     'must be 1-60 characters'),
    ('network-tag-slash', dict(networks=net(tag='a/b')), {}, 'server.networks[0].tag', "'/'"),
    ('sg-string', dict(security_groups='default'), {}, 'server.security_groups',
     'must be a list'),
    ('sg-unknown', dict(security_groups=[{'name': 'nope'}]), {},
     'server.security_groups[0].name', 'Security group nope not found.'),
    ('sg-name-empty', dict(security_groups=[{'name': ''}]), {},
     'server.security_groups[0].name', 'must be 1-255 characters'),
    ('sg-extra-key', dict(security_groups=[{'name': 'web', 'id': 1}]), {},
     'server.security_groups[0].id', 'additional properties'),
    ('sg-not-object', dict(security_groups=['default']), {}, 'server.security_groups[0]',
     'must be an object'),
    ('sg-space', dict(security_groups=[{'name': ' web'}]), {}, 'server.security_groups[0].name',
     'leading or trailing whitespace'),
    ('sg-second-unknown', dict(security_groups=[{'name': 'web'}, {'name': 'x'}]), {},
     'server.security_groups[1].name', 'Security group x not found.'),
    ('key-unknown', dict(key_name='nope'), {}, 'server.key_name',
     'Keypair nope not found for user demo-user'),
    ('key-other-user', dict(key_name='alien'), {}, 'server.key_name',
     'Keypair alien not found for user demo-user'),
    ('key-empty', dict(key_name=''), {}, 'server.key_name', 'must be 1-255 characters'),
    ('key-int', dict(key_name=5), {}, 'server.key_name', 'must be a string'),
    ('user-data-garbage', dict(user_data='not base64!'), {}, 'server.user_data',
     'must be valid base64'),
    ('user-data-padding', dict(user_data='aGVsbG8'), {}, 'server.user_data',
     'must be valid base64'),
    ('user-data-too-long', dict(user_data='A' * 65536), {}, 'server.user_data',
     'must be 0-65535 characters long'),
    ('user-data-int', dict(user_data=5), {}, 'server.user_data', 'must be a string'),
    ('personality-dict', dict(personality={}), {}, 'server.personality', 'must be a list'),
    ('personality-no-contents', dict(personality=[{'path': '/a'}]), {},
     'server.personality[0].contents', 'is required'),
    ('personality-no-path', dict(personality=[{'contents': B64}]), {},
     'server.personality[0].path', 'is required'),
    ('personality-bad-base64', dict(personality=[{'path': '/a', 'contents': '!!'}]), {},
     'server.personality[0].contents', 'must be valid base64'),
    ('personality-extra-key', dict(personality=[{'path': '/a', 'contents': B64, 'mode': 1}]),
     {}, 'server.personality[0].mode', 'additional properties'),
    ('personality-not-object', dict(personality=['x']), {}, 'server.personality[0]',
     'must be an object'),
    ('personality-count', dict(personality=[{'path': '/f%d' % i, 'contents': B64}
                                            for i in range(6)]), {},
     'server.personality', 'Personality file limit exceeded'),
    ('personality-path-bytes', dict(personality=[{'path': '/' + 'p' * 300, 'contents': B64}]),
     {}, 'server.personality', 'Personality file path exceeds maximum 255'),
    ('personality-content-bytes', dict(personality=[{'path': '/a', 'contents': 'QUFB' * 3000}]),
     {}, 'server.personality', 'Personality file content exceeds maximum 10240'),
    ('personality-project-limit', dict(personality=[{'path': '/a', 'contents': B64}] * 2),
     {'quotas': {'projects': {'demo': {'injected_files': 1}}}}, 'server.personality',
     'Personality file limit exceeded'),
    ('metadata-list', dict(metadata=[]), {}, 'server.metadata', 'must be an object'),
    ('metadata-key-slash', dict(metadata={'a/b': 'x'}), {}, 'server.metadata.a/b',
     'keys must match ^[a-zA-Z0-9-_:. ]{1,255}$'),
    ('metadata-key-empty', dict(metadata={'': 'x'}), {}, 'server.metadata.', 'keys must match'),
    ('metadata-value-int', dict(metadata={'k': 5}), {}, 'server.metadata.k', 'must be a string'),
    ('metadata-value-long', dict(metadata={'k': 'v' * 256}), {}, 'server.metadata.k',
     'must be 0-255 characters'),
    ('metadata-count', dict(metadata=dict(('k%d' % i, 'v') for i in range(129))), {},
     'server.metadata', 'Maximum number of metadata items exceeds 128'),
    ('metadata-user-limit', dict(metadata={'a': '1', 'b': '2'}),
     {'quotas': {'users': {'demo': {'demo-user': {'metadata_items': 1}}}}},
     'server.metadata', 'Maximum number of metadata items exceeds 1'),
    ('access-v4-is-v6', dict(accessIPv4='::1'), {}, 'server.accessIPv4', 'must be an IPv4 address'),
    ('access-v4-octet', dict(accessIPv4='300.1.1.1'), {}, 'server.accessIPv4', 'IPv4 address'),
    ('access-v4-short', dict(accessIPv4='10.1'), {}, 'server.accessIPv4', 'IPv4 address'),
    ('access-v6-is-v4', dict(accessIPv6='1.2.3.4'), {}, 'server.accessIPv6',
     'must be an IPv6 address'),
    ('config-drive-word', dict(config_drive='maybe'), {}, 'server.config_drive',
     'must be a boolean'),
    ('config-drive-int', dict(config_drive=2), {}, 'server.config_drive', 'must be a boolean'),
    ('config-drive-one', dict(config_drive=1), {}, 'server.config_drive', 'must be a boolean'),
    ('admin-pass-int', dict(adminPass=5), {}, 'server.adminPass', 'must be a string'),
    ('return-resv-word', dict(return_reservation_id='sure'), {},
     'server.return_reservation_id', 'must be a boolean'),
    ('az-too-many-colons', dict(availability_zone='a:b:c:d'), {}, 'server.availability_zone',
     'Unable to parse availability_zone'),
    ('az-unknown', dict(availability_zone='nowhere'), {}, 'server.availability_zone',
     'The requested availability zone is not available'),
    ('az-node-unknown-zone', dict(availability_zone='nowhere::node1'), {'context': ADMIN},
     'server.availability_zone', 'not available'),
    ('az-empty', dict(availability_zone=''), {}, 'server.availability_zone',
     'must be 1-255 characters'),
    ('az-space', dict(availability_zone=' nova'), {}, 'server.availability_zone',
     'leading or trailing whitespace'),
    ('az-default-only', dict(availability_zone='az1'), {'availability_zones': None},
     'server.availability_zone', 'not available'),
    ('host-bad', dict(host='bad host!'), {'context': ADMIN}, 'server.host', 'host name'),
    ('hypervisor-hostname-empty', dict(hypervisor_hostname=''), {'context': ADMIN},
     'server.hypervisor_hostname', 'must be 1-255 characters'),
    ('description-long', dict(description='d' * 256), {}, 'server.description',
     'must be 0-255 characters'),
    ('description-control', dict(description='a\x00b'), {}, 'server.description', 'printable'),
    ('description-int', dict(description=5), {}, 'server.description', 'must be a string'),
    ('tags-string', dict(tags='x'), {}, 'server.tags', 'must be a list'),
    ('tags-too-many', dict(tags=['t%d' % i for i in range(51)]), {}, 'server.tags',
     'must have at most 50 items'),
    ('tag-slash', dict(tags=['ok', 'a/b']), {}, 'server.tags[1]', "must not contain '/' or ','"),
    ('tag-comma', dict(tags=['a,b']), {}, 'server.tags[0]', "'/' or ','"),
    ('tag-empty', dict(tags=['']), {}, 'server.tags[0]', 'must be 1-60 characters'),
    ('tag-long', dict(tags=['x' * 61]), {}, 'server.tags[0]', 'must be 1-60 characters'),
    ('tag-int', dict(tags=[5]), {}, 'server.tags[0]', 'must be a string'),
    ('bdm-dict', dict(block_device_mapping_v2={}), {}, 'server.block_device_mapping_v2',
     'must be a list'),
    ('bdm-not-object', dict(block_device_mapping_v2=[5]), {},
     'server.block_device_mapping_v2[0]', 'must be an object'),
    ('bdm-source', dict(block_device_mapping_v2=bdm(source_type='tape')), {},
     'server.block_device_mapping_v2[0].source_type', 'must be one of volume, image'),
    ('bdm-volume-local', dict(block_device_mapping_v2=bdm(destination_type='local')), {},
     'server.block_device_mapping_v2[0].destination_type', 'must be volume when source_type'),
    ('bdm-destination', dict(block_device_mapping_v2=bdm(destination_type='cloud')), {},
     'server.block_device_mapping_v2[0].destination_type', 'must be one of local, volume'),
    ('bdm-no-uuid', dict(block_device_mapping_v2=[{'source_type': 'volume', 'boot_index': 0}]),
     {}, 'server.block_device_mapping_v2[0].uuid', 'Missing device UUID.'),
    ('bdm-blank-uuid', dict(block_device_mapping_v2=bdm(source_type='blank', boot_index=-1,
                                                        destination_type='local')), {},
     'server.block_device_mapping_v2[0].uuid', 'Invalid device UUID.'),
    ('bdm-uuid-chars', dict(block_device_mapping_v2=bdm(uuid='a b')), {},
     'server.block_device_mapping_v2[0].uuid', 'must match'),
    ('bdm-boot-index', dict(block_device_mapping_v2=bdm(boot_index='first')), {},
     'server.block_device_mapping_v2[0].boot_index', 'must be an integer'),
    ('bdm-size-zero', dict(block_device_mapping_v2=bdm(volume_size=0)), {},
     'server.block_device_mapping_v2[0].volume_size', 'must be >= 1'),
    ('bdm-device-space', dict(block_device_mapping_v2=bdm(device_name='vd a')), {},
     'server.block_device_mapping_v2[0].device_name', 'must match ^[a-zA-Z0-9._/-]*$'),
    ('bdm-delete-word', dict(block_device_mapping_v2=bdm(delete_on_termination='maybe')), {},
     'server.block_device_mapping_v2[0].delete_on_termination', 'must be a boolean'),
    ('bdm-extra-key', dict(block_device_mapping_v2=bdm(colour='red')), {},
     'server.block_device_mapping_v2[0].colour', 'additional properties'),
    ('bdm-image-volume-no-size', dict(imageRef='', block_device_mapping_v2=bdm(
        source_type='image', uuid=IMG_DEMO, destination_type='volume')), {},
     'server.block_device_mapping_v2[0].volume_size', "need to have a non-zero size"),
    ('bdm-image-local-not-boot', dict(block_device_mapping_v2=bdm(
        source_type='image', uuid=IMG_DEMO, destination_type='local', boot_index=1)), {},
     'server.block_device_mapping_v2[0]', 'Mapping image to local is not supported.'),
    ('bdm-image-unknown', dict(imageRef='', block_device_mapping_v2=bdm(
        source_type='image', uuid='nope', destination_type='volume', volume_size=1)), {},
     'server.block_device_mapping_v2[0].uuid', 'Image nope could not be found.'),
    ('bdm-boot-gap', dict(imageRef='', block_device_mapping_v2=bdm() + bdm(
        uuid='vol2', boot_index=2)), {}, 'server.block_device_mapping_v2', 'Boot sequence'),
    ('bdm-multi-volume', dict(imageRef='', max_count=2, block_device_mapping_v2=bdm()), {},
     'server.block_device_mapping_v2', 'Cannot attach one or more volumes to multiple'),
    ('bdm-root-name-clash', dict(block_device_mapping_v2=bdm(boot_index=None, device_name='/dev/vda')), {},
     'server.block_device_mapping_v2[0].device_name', 'same device name as the root device'),
    ('bdm-two-swaps', dict(flavorRef='2', block_device_mapping_v2=ROOT + [
        {'source_type': 'blank', 'destination_type': 'local', 'guest_format': 'swap',
         'volume_size': 1, 'boot_index': -1}] * 2), {}, 'server.block_device_mapping_v2',
     'More than one swap drive requested.'),
    ('bdm-swap-too-big', dict(flavorRef='2', block_device_mapping_v2=ROOT + [
        {'source_type': 'blank', 'destination_type': 'local', 'guest_format': 'swap',
         'volume_size': 1024, 'boot_index': -1}]), {},
     'server.block_device_mapping_v2[1].volume_size', 'Swap drive requested is larger'),
    ('bdm-ephemeral-too-big', dict(flavorRef='2', block_device_mapping_v2=ROOT + [
        {'source_type': 'blank', 'destination_type': 'local', 'volume_size': 3,
         'boot_index': -1}]), {}, 'server.block_device_mapping_v2',
     'Ephemeral disks requested are larger than the instance type allows'),
    ('bdm-ephemeral-default-sizes', dict(flavorRef='2', block_device_mapping_v2=ROOT + [
        {'source_type': 'blank', 'destination_type': 'local'}] * 2), {},
     'server.block_device_mapping_v2', 'flavor ephemeral size will be used'),
    ('bdm-too-many-locals', dict(flavorRef='2', block_device_mapping_v2=ROOT + [
        {'source_type': 'blank', 'destination_type': 'local', 'volume_size': 1}] * 2), {},
     'server.block_device_mapping_v2', 'more local devices than the limit allows'),
    ('bdm-image-without-root', dict(block_device_mapping_v2=[
        {'source_type': 'blank', 'destination_type': 'local', 'volume_size': 1,
         'boot_index': -1}]), {}, 'server.block_device_mapping_v2', 'Boot sequence'),
    ('bdm-only-no-device', dict(imageRef='', block_device_mapping_v2=[{'no_device': True}]),
     {}, 'server.block_device_mapping_v2', 'Boot sequence'),
    ('bdm-image-local-no-imageref', dict(imageRef=DELETE, block_device_mapping_v2=ROOT), {},
     'server.block_device_mapping_v2[0]', 'Mapping image to local is not supported.'),
    ('bdm-image-local-boot-null', dict(block_device_mapping_v2=[dict(ROOT[0], boot_index=None)]),
     {}, 'server.block_device_mapping_v2[0]', 'Mapping image to local is not supported.'),
    ('bdm-volume-id-only', dict(imageRef='', block_device_mapping_v2=[
        {'source_type': 'volume', 'volume_id': VOL, 'boot_index': 0}]), {},
     'server.block_device_mapping_v2[0].uuid', 'Missing device UUID.'),
    ('bdm-volume-id-format', dict(imageRef='', block_device_mapping_v2=bdm(volume_id='vol-1')),
     {}, 'server.block_device_mapping_v2[0].volume_id', 'must be a uuid'),
    ('bdm-no-source', dict(imageRef='', block_device_mapping_v2=[{'uuid': VOL, 'boot_index': 0}]),
     {}, 'server.block_device_mapping_v2[0].source_type', 'is required'),
    ('bdm-no-device-bad-source', dict(imageRef='', block_device_mapping_v2=bdm() + [
        {'no_device': True, 'source_type': 'tape'}]), {},
     'server.block_device_mapping_v2[1].source_type', 'must be one of volume, image'),
    ('bdm-volume-type-local', dict(block_device_mapping_v2=ROOT + [
        {'source_type': 'blank', 'destination_type': 'local', 'volume_type': 'ssd'}]), {},
     'server.block_device_mapping_v2[1].volume_type', 'destination_type=local is not supported'),
    ('bdm-volume-type-existing', dict(imageRef='', block_device_mapping_v2=bdm(
        volume_type='ssd')), {}, 'server.block_device_mapping_v2[0].volume_type',
     'Specifying volume type to existing volume is not supported.'),
    ('bdm-volume-type-int', dict(imageRef='', block_device_mapping_v2=bdm(volume_type=5)), {},
     'server.block_device_mapping_v2[0].volume_type', 'must be a string'),
    ('bdm-blank-volume-no-size', dict(imageRef='', block_device_mapping_v2=bdm() + [
        {'source_type': 'blank', 'destination_type': 'volume'}]), {},
     'server.block_device_mapping_v2[1].volume_size', "Blank volumes (source: 'blank', dest: "
     "'volume') need to have non-zero size"),
    ('bdm-size-over-max-int', dict(imageRef='', block_device_mapping_v2=bdm(
        volume_size=2 ** 31)), {}, 'server.block_device_mapping_v2[0].volume_size',
     'must be <= 2147483647'),
    ('bdm-size-word', dict(imageRef='', block_device_mapping_v2=bdm(volume_size='big')), {},
     'server.block_device_mapping_v2[0].volume_size', 'must be an integer'),
    ('bdm-disk-bus', dict(imageRef='', block_device_mapping_v2=bdm(disk_bus='floppy')), {},
     'server.block_device_mapping_v2[0].disk_bus', 'Device bus floppy not supported'),
    ('bdm-guest-format-null', dict(block_device_mapping_v2=ROOT + [
        {'source_type': 'blank', 'destination_type': 'local', 'guest_format': None}]), {},
     'server.block_device_mapping_v2[1].guest_format', 'must be a string'),
    ('bdm-connection-info-int', dict(imageRef='', block_device_mapping_v2=bdm(
        connection_info=5)), {}, 'server.block_device_mapping_v2[0].connection_info',
     'must be a string'),
    ('bdm-virtual-name-long', dict(imageRef='', block_device_mapping_v2=bdm(
        virtual_name='v' * 256)), {}, 'server.block_device_mapping_v2[0].virtual_name',
     'must be 0-255 characters'),
    ('bdm-device-long', dict(imageRef='', block_device_mapping_v2=bdm(device_name='v' * 256)),
     {}, 'server.block_device_mapping_v2[0].device_name', 'must be 1-255 characters'),
    ('bdm-tag-comma', dict(imageRef='', block_device_mapping_v2=bdm(tag='a,b')), {},
     'server.block_device_mapping_v2[0].tag', "'/' or ','"),
    ('bdm-volume-under-min-disk', dict(imageRef='', flavorRef='2', block_device_mapping_v2=bdm(
        source_type='image', uuid=IMG_BIG, destination_type='volume', volume_size=1)), {},
     'server.block_device_mapping_v2[0].volume_size', 'Volume is smaller than the minimum'),
    ('bdm-legacy', dict(block_device_mapping=[{'volume_id': VOL}]), {},
     'server.block_device_mapping', 'use block_device_mapping_v2'),
    ('hints-in-server-list', dict(scheduler_hints=[]), {}, 'server.scheduler_hints',
     'must be an object'),
    ('hints-option-list', {}, {'scheduler_hints': []}, 'scheduler_hints', 'must be an object'),
    ('hint-group-unknown', {}, {'scheduler_hints': {'group': 'nope'}}, 'scheduler_hints.group',
     'Instance group nope could not be found.'),
    ('hint-group-other-project-name', {}, {'scheduler_hints': {'group': 'theirs'}},
     'scheduler_hints.group', 'could not be found'),
    ('hint-group-int', {}, {'scheduler_hints': {'group': 5}}, 'scheduler_hints.group',
     'server group uuid or name'),
    ('hint-same-host', {}, {'scheduler_hints': {'same_host': 'x'}}, 'scheduler_hints.same_host',
     'must be a uuid'),
    ('hint-different-host-item', {}, {'scheduler_hints': {'different_host': [SERVER_1, 'x']}},
     'scheduler_hints.different_host[1]', 'must be a uuid'),
    ('hint-different-host-int', {}, {'scheduler_hints': {'different_host': 5}},
     'scheduler_hints.different_host', 'a uuid or a list of uuids'),
    ('hint-near-ip', {}, {'scheduler_hints': {'build_near_host_ip': 'x'}},
     'scheduler_hints.build_near_host_ip', 'IPv4 or IPv6'),
    ('hint-cidr', {}, {'scheduler_hints': {'cidr': '24'}}, 'scheduler_hints.cidr',
     'must match'),
    ('hint-query', {}, {'scheduler_hints': {'query': 5}}, 'scheduler_hints.query',
     'string or an object'),
    ('hint-conflict', dict(scheduler_hints={'group': 'web'}),
     {'scheduler_hints': {'group': GROUP_WEB}}, 'server.scheduler_hints.group',
     'conflicts with the other scheduler_hints'),
    ('context-no-project', {}, {'context': {'user_id': 'u'}}, 'context.project_id',
     'is required'),
    ('name-astral-plane', dict(name='web\U0001F600'), {}, 'server.name', 'printable'),
    ('description-astral-plane', dict(description='d\U0001F600'), {}, 'server.description',
     'printable'),
    ('min-count-string-zero', dict(min_count='0'), {}, 'server.min_count', 'must be >= 1'),
    ('max-count-padded', dict(max_count=' 2'), {}, 'server.max_count', 'must be an integer'),
    ('networks-empty-ambiguous', dict(networks=[]), {}, 'server.networks',
     'Multiple possible networks found'),
    ('network-uuid-empty', dict(networks=[{'uuid': ''}]), {}, 'server.networks[0].uuid',
     'must be 1-255 characters'),
    ('network-port-null-no-uuid', dict(networks=[{'port': None}]), {},
     'server.networks[0].uuid', 'is required'),
    ('port-underscored-uuid', dict(networks=[{'port': '5555_555555554555855555555555555'}]), {},
     'server.networks[0].port', 'must be a uuid'),
    ('fixed-ip-v6-network-address', dict(networks=net(uuid=NET_V6, fixed_ip='fd00:1::')), {},
     'server.networks[0].fixed_ip', 'network or broadcast address of fd00:1::/64'),
    ('fixed-ip-leading-zero', dict(networks=net(fixed_ip='10.254.0.020')), {},
     'server.networks[0].fixed_ip', 'must be an IPv4 or IPv6 address'),
    ('fixed-ip-held-by-port', dict(networks=net(fixed_ip='10.254.0.40')), {},
     'server.networks[0].fixed_ip', 'already in use on port %s' % PORT_1),
    ('port-in-use', dict(networks=[{'port': PORT_1}]), {'servers': SERVERS + [
        {'id': SERVER_3, 'project_id': 'demo', 'user_id': 'demo-user', 'vm_state': 'active',
         'addresses': {'private': [{'addr': '10.254.0.40'}]}}]},
     'server.networks[0].port', 'Port %s is still in use.' % PORT_1),
    ('host-and-forced-host', dict(availability_zone='nova:hv1', host='hv1'), {'context': ADMIN},
     'server.host', 'are mutually exclusive'),
    ('node-and-forced-node', dict(availability_zone='nova::n1', hypervisor_hostname='n1'),
     {'context': ADMIN}, 'server.hypervisor_hostname', 'are mutually exclusive'),
    ('hint-different-cell', {}, {'scheduler_hints': {'different_cell': 5}},
     'scheduler_hints.different_cell', 'a string or a list of strings'),
    ('hint-different-cell-item', {}, {'scheduler_hints': {'different_cell': ['c1', 5]}},
     'scheduler_hints.different_cell[1]', 'must be a string'),
    ('hint-target-cell', {}, {'scheduler_hints': {'target_cell': ' cell1'}},
     'scheduler_hints.target_cell', 'leading or trailing whitespace'),
    ('metadata-project-limit-binds', dict(metadata=dict(('k%d' % i, 'v') for i in range(129))),
     {'quotas': {'users': {'demo': {'demo-user': {'metadata_items': 500}}}}},
     'server.metadata', 'Maximum number of metadata items exceeds 128'),
    ('personality-user-unlimited-project-binds',
     dict(personality=[{'path': '/a', 'contents': B64}] * 2),
     {'quotas': {'projects': {'demo': {'injected_files': 1}},
                 'users': {'demo': {'demo-user': {'injected_files': -1}}}}},
     'server.personality', 'Personality file limit exceeded'),
    ('personality-path-chars', dict(personality=[{'path': '/' + '\u00e9' * 255,
                                                  'contents': B64}]), {},
     'server.personality', 'Personality file path exceeds maximum 255'),
    ('personality-contents-int', dict(personality=[{'path': '/a', 'contents': 5}]), {},
     'server.personality[0].contents', 'must be a string'),
    ('access-v6-garbage', dict(accessIPv6='fd00::zz'), {}, 'server.accessIPv6',
     'must be an IPv6 address'),
    ('flavor-list', dict(flavorRef=['1']), {}, 'server.flavorRef', 'non-empty string'),
]


def test_bad_table_is_large_and_unique():
    assert len(BAD) >= 100
    assert len(set(case[0] for case in BAD)) == len(BAD)


@pytest.mark.parametrize('case_id,changes,kwargs,field,rule', BAD, ids=[c[0] for c in BAD])
def test_bad_request(case_id, changes, kwargs, field, rule):
    kwargs = dict(kwargs)
    with pytest.raises(ValidationError) as info:
        build(server(**changes), **kwargs)
    assert info.value.field == field
    assert rule in info.value.rule
    assert info.value.msg.startswith('%s: ' % field)


def pick(result, path):
    """`spec.flavor.flavorid`, `inst.0.name`: a value of a build_request result."""
    value = {'spec': result['request_spec'], 'inst': result['instances']}
    for part in path.split('.'):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


ONE_NET = catalog(networks=[n for n in catalog()['networks'] if n['name'] in ('theirs', 'mine')])
LOCAL_SWAP = {'source_type': 'blank', 'destination_type': 'local', 'guest_format': 'swap',
              'volume_size': 512, 'boot_index': -1}

# The accept side of the rules above: (id, server changes, extra build kwargs, path, expected)
GOOD = [
    ('name-255', dict(name='x' * 255), {}, 'inst.0.name', 'x' * 255),
    ('name-inner-space', dict(name='web  server'), {}, 'inst.0.hostname', 'web--server'),
    ('name-bmp-symbol', dict(name='web \u2603'), {}, 'inst.0.name', 'web \u2603'),
    ('name-last-bmp', dict(name='w\ufffd'), {}, 'inst.0.name', 'w\ufffd'),
    ('flavor-int', dict(flavorRef=1), {}, 'spec.flavor.flavorid', '1'),
    ('flavor-name', dict(flavorRef='m1.small'), {}, 'spec.flavor.memory_mb', 2048),
    ('image-name', dict(imageRef='novalite-demo'), {}, 'spec.image.id', IMG_DEMO),
    ('image-min-ram-met', dict(imageRef=IMG_BIG, flavorRef='m1.small'),
     {'cat': catalog(flavors=[{'id': '2', 'name': 'm1.small', 'vcpus': 1, 'ram': 512,
                               'disk': 5}])}, 'spec.image.min_disk', 5),
    ('counts-strings', dict(min_count='2', max_count='2'), {}, 'spec.num_instances', 2),
    ('max-count-only', dict(max_count=3), {}, 'spec.min_num_instances', 1),
    ('min-count-only', dict(min_count=2), {}, 'spec.num_instances', 2),
    ('networks-none', dict(networks='none'), {}, 'spec.requested_networks', []),
    ('networks-empty-one-usable', dict(networks=[]), {'cat': ONE_NET},
     'spec.requested_networks.0.network_id', NET_MINE),
    ('networks-absent-no-network', dict(networks=DELETE), {'cat': catalog(networks=[])},
     'inst.0.networks', []),
    ('networks-empty-no-network', dict(networks=[]), {'cat': catalog(networks=[])},
     'spec.requested_networks', []),
    ('network-by-name', dict(networks=[{'uuid': 'v6'}]), {}, 'inst.0.networks.0.network_id',
     NET_V6),
    ('network-twice', dict(networks=net() * 2), {}, 'inst.0.networks.1.network_id', NET_PRIVATE),
    ('fixed-ip-twice', dict(networks=net(fixed_ip='10.254.0.20') * 2), {},
     'inst.0.networks.1.fixed_ip', '10.254.0.20'),
    ('network-tag', dict(networks=net(tag='nic1')), {}, 'spec.requested_networks.0.fixed_ip',
     None),
    ('network-port-null', dict(networks=net(port=None)), {}, 'spec.requested_networks.0.port_id',
     None),
    ('fixed-ip-pool-end', dict(networks=net(fixed_ip='10.254.0.250')), {},
     'inst.0.networks.0.fixed_ip', '10.254.0.250'),
    ('fixed-ip-v6-last', dict(networks=net(uuid=NET_V6, fixed_ip='fd00:1::ffff:ffff:ffff:ffff')),
     {}, 'inst.0.networks.0.fixed_ip', 'fd00:1::ffff:ffff:ffff:ffff'),
    ('fixed-ip-freed', dict(networks=net(fixed_ip='10.254.0.30')),
     {'servers': [dict(SERVERS[0], vm_state='deleted', addresses={})]},
     'inst.0.networks.0.fixed_ip', '10.254.0.30'),
    ('port-with-its-address', dict(networks=[{'port': PORT_1}]), {},
     'inst.0.networks.0.fixed_ip', '10.254.0.40'),
    ('sg-empty-list', dict(security_groups=[]), {}, 'spec.security_groups', ['default']),
    ('sg-no-name', dict(security_groups=[{}]), {}, 'spec.security_groups', ['default']),
    ('sg-by-id', dict(security_groups=[{'name': SG_WEB}]), {}, 'spec.security_groups', ['web']),
    ('sg-twice', dict(security_groups=[{'name': 'web'}] * 2), {}, 'inst.0.security_groups',
     ['web']),
    ('key-name', dict(key_name='demo'), {}, 'inst.0.key_name', 'demo'),
    ('user-data-longest', dict(user_data='A' * 65532), {}, 'inst.0.name', 'web'),
    ('user-data-whitespace', dict(user_data='aGVs\nbG8='), {}, 'inst.0.name', 'web'),
    ('personality-at-limits', dict(personality=[{'path': '/' + 'p' * 254, 'contents': 'QUFB' * 2560}]
                                   * 5), {}, 'inst.0.injected_file_paths.4', '/' + 'p' * 254),
    ('personality-empty', dict(personality=[]), {}, 'inst.0.injected_file_paths', []),
    ('metadata-128', dict(metadata=dict(('k%d' % i, 'v') for i in range(128))), {},
     'inst.0.metadata.k127', 'v'),
    ('metadata-key-chars', dict(metadata={'a-b_c:d. e': ''}), {}, 'inst.0.metadata',
     {'a-b_c:d. e': ''}),
    ('metadata-value-255', dict(metadata={'k': 'v' * 255}), {}, 'inst.0.metadata.k', 'v' * 255),
    ('metadata-user-override-higher-project-unlimited',
     dict(metadata=dict(('k%d' % i, 'v') for i in range(200))),
     {'quotas': {'projects': {'demo': {'metadata_items': -1}},
                 'users': {'demo': {'demo-user': {'metadata_items': 300}}}}},
     'inst.0.metadata.k199', 'v'),
    ('access-ips', dict(accessIPv4='192.0.2.1', accessIPv6='2001:DB8::1'), {},
     'inst.0.access_ip_v6', '2001:db8::1'),
    ('config-drive-word', dict(config_drive='No'), {}, 'inst.0.config_drive', True),
    ('admin-pass-empty', dict(adminPass=''), {}, 'inst.0.name', 'web'),
    ('return-resv-string', dict(return_reservation_id='True'), {}, 'inst.0.name', 'web'),
    ('az-default-zone', dict(availability_zone='nova'), {'availability_zones': None},
     'spec.availability_zone', 'nova'),
    ('host-fqdn', dict(host='hv_1.example-dc.net'), {'context': ADMIN},
     'spec.requested_destination.host', 'hv_1.example-dc.net'),
    ('description-empty', dict(description=''), {}, 'inst.0.description', ''),
    ('description-255-spaces', dict(description=' d ' * 85), {}, 'inst.0.description', ' d ' * 85),
    ('tags-50', dict(tags=['t%d' % i for i in range(50)]), {}, 'inst.0.tags.49', 't49'),
    ('tag-60', dict(tags=['x' * 60]), {}, 'inst.0.tags', ['x' * 60]),
    ('disk-config-manual', {'OS-DCF:diskConfig': 'MANUAL'}, {}, 'inst.0.auto_disk_config', False),
    ('bdm-root-with-swap', dict(flavorRef='2', block_device_mapping_v2=ROOT + [LOCAL_SWAP]), {},
     'spec.is_bfv', False),
    ('bdm-boot-index-strings', dict(imageRef='', block_device_mapping_v2=bdm(boot_index='0') + [
        dict(bdm(uuid='vol-2')[0], boot_index='1')]), {}, 'spec.is_bfv', True),
    ('bdm-no-device-entry', dict(block_device_mapping_v2=ROOT + [{'no_device': True,
                                                                  'device_name': 'vdb'}]), {},
     'spec.image.id', IMG_DEMO),
    ('bdm-new-volume-type', dict(imageRef='', block_device_mapping_v2=bdm(
        source_type='image', uuid=IMG_DEMO, destination_type='volume', volume_size='5',
        volume_type='ssd', disk_bus='virtio', tag='root')), {}, 'spec.image.id', IMG_DEMO),
    ('bdm-blank-volume-max-int', dict(imageRef='', block_device_mapping_v2=bdm() + [
        {'source_type': 'blank', 'destination_type': 'volume', 'volume_size': 2 ** 31 - 1}]),
     {}, 'spec.is_bfv', True),
    ('bdm-snapshot-root', dict(imageRef='', block_device_mapping_v2=bdm(source_type='snapshot')),
     {}, 'spec.image.id', None),
    ('bdm-three-locals', dict(flavorRef='2', block_device_mapping_v2=ROOT + [
        {'source_type': 'blank', 'destination_type': 'local', 'volume_size': 2}]), {},
     'spec.flavor.ephemeral_gb', 2),
    ('bdm-legacy-id-alongside-uuid', dict(imageRef='', block_device_mapping_v2=bdm(
        volume_id=VOL)), {}, 'spec.is_bfv', True),
    ('hints-cells-and-query', {}, {'scheduler_hints': {
        'different_cell': ['c1'], 'target_cell': 'cell1', 'query': '["=", "$vcpus", 1]',
        'build_near_host_ip': '10.0.0.1', 'cidr': '/24', 'anything': [1]}},
     'spec.scheduler_hints.anything', [1]),
    ('hint-group-uuid', {}, {'scheduler_hints': {'group': GROUP_WEB}},
     'spec.instance_group.name', 'web'),
    ('hint-different-host-list', {}, {'scheduler_hints': {'different_host': [SERVER_1]}},
     'spec.scheduler_hints.different_host', [SERVER_1]),
]


def test_good_table_ids_unique():
    assert len(set(case[0] for case in GOOD)) == len(GOOD)


@pytest.mark.parametrize('case_id,changes,kwargs,path,expected', GOOD, ids=[c[0] for c in GOOD])
def test_good_request(case_id, changes, kwargs, path, expected):
    kwargs = dict(kwargs, enforcer=Enforcer())
    assert pick(build(server(**changes), **kwargs), path) == expected


def test_server_not_an_object():
    with pytest.raises(ValidationError) as info:
        build(['web'])
    assert (info.value.field, info.value.rule) == ('server', 'must be an object')


# --- policy during the request ---------------------------------------------------------------

@pytest.mark.parametrize('changes,context,rule', [
    (dict(availability_zone='nova:hv1'), CONTEXT, 'os_compute_api:servers:create:forced_host'),
    (dict(availability_zone='nova::node1'), CONTEXT, 'os_compute_api:servers:create:forced_host'),
    (dict(host='hv1'), CONTEXT, 'compute:servers:create:requested_destination'),
    ({}, {'project_id': 'demo', 'user_id': 'u', 'roles': ['reader']},
     'os_compute_api:servers:create'),
    ({}, {'project_id': 'demo', 'user_id': 'u', 'roles': []}, 'os_compute_api:servers:create'),
])
def test_policy_denied(changes, context, rule):
    with pytest.raises(PolicyNotAuthorized) as info:
        build(server(**changes), context=context)
    assert info.value.msg == "Policy doesn't allow %s to be performed." % rule


def test_policy_override_attach_network():
    enforcer = Enforcer({'os_compute_api:servers:create:attach_network': 'role:admin'})
    with pytest.raises(PolicyNotAuthorized) as info:
        build(enforcer=enforcer)
    assert info.value.rule == 'os_compute_api:servers:create:attach_network'
    # without networks the rule is not asked
    assert build(server(networks='none'), enforcer=enforcer)['request_spec'][
        'requested_networks'] == []


# Which body asks which attach policy (servers.py: any block_device_mapping_v2 entry asks
# attach_volume; a non-empty networks list or 'auto' asks attach_network). The catalog has
# one usable network, so an absent or empty list is not ambiguous.
ATTACH = [
    ('volume-root', dict(imageRef='', block_device_mapping_v2=bdm()), 'attach_volume', True),
    ('local-disks-only', dict(flavorRef='2', block_device_mapping_v2=ROOT + [LOCAL_SWAP]),
     'attach_volume', True),
    ('with-no-device', dict(block_device_mapping_v2=ROOT + [{'no_device': True}]),
     'attach_volume', True),
    ('no-bdm', {}, 'attach_volume', False),
    ('empty-bdm-list', dict(block_device_mapping_v2=[]), 'attach_volume', False),
    ('network-list', {}, 'attach_network', True),
    ('networks-auto', dict(networks='auto'), 'attach_network', True),
    ('networks-none', dict(networks='none'), 'attach_network', False),
    ('networks-absent', dict(networks=DELETE), 'attach_network', False),
    ('networks-empty', dict(networks=[]), 'attach_network', False),
]


@pytest.mark.parametrize('changes,kind,asked', [c[1:] for c in ATTACH], ids=[c[0] for c in ATTACH])
def test_attach_policies_asked(changes, kind, asked):
    rule = 'os_compute_api:servers:create:' + kind
    body = server(**dict({'networks': [{'uuid': 'mine'}]}, **changes))
    enforcer = Enforcer({rule: '!'})
    if asked:
        with pytest.raises(PolicyNotAuthorized) as info:
            build(body, cat=ONE_NET, enforcer=enforcer)
        assert info.value.rule == rule
    else:
        assert build(body, cat=ONE_NET, enforcer=enforcer)['request_spec']['num_instances'] == 1


EXTERNAL = {'id': '12121212-1212-4212-8212-121212121212', 'name': 'public', 'cidr': '203.0.113.0/24',
            'external': True, 'shared': False, 'project_id': 'demo'}


@pytest.mark.parametrize('network,context,allowed', [
    (EXTERNAL, CONTEXT, False),
    (EXTERNAL, ADMIN, True),
    (dict(EXTERNAL, shared=True), CONTEXT, True),
    (dict(EXTERNAL, external=False), CONTEXT, True),
])
def test_external_network_needs_its_policy(network, context, allowed):
    cat = catalog(networks=[network])
    for networks in ([{'uuid': 'public'}], 'auto'):
        if allowed:
            assert build(server(networks=networks), context=context, cat=cat)['request_spec'][
                'requested_networks'][0]['network_id'] == EXTERNAL['id']
        else:
            with pytest.raises(PolicyNotAuthorized) as info:
                build(server(networks=networks), context=context, cat=cat)
            assert info.value.rule == 'network:attach_external_network'


def test_create_target_carries_the_requested_zone():
    enforcer = Enforcer({'os_compute_api:servers:create': 'role:%(availability_zone)s'})
    context = dict(CONTEXT, roles=['member', 'az1'])
    assert build(server(availability_zone='az1'), context=context, enforcer=enforcer)
    with pytest.raises(PolicyNotAuthorized):
        build(server(availability_zone='nova'), context=context, enforcer=enforcer)


@pytest.mark.parametrize('asked, kept', [
    (DELETE, None),                # none asked: may move to any zone later
    ('az1', 'az1'),
    ('az1:hv1', 'az1'),            # Nova keeps the zone of 'az:host' in the request spec too
    (':hv1', None),                # a host without a zone asks for no zone
    ('nova::node1', 'nova'),
])
def test_each_instance_keeps_the_zone_it_asked_for(asked, kept):
    result = build(server(availability_zone=asked), context=ADMIN)
    assert result['request_spec']['availability_zone'] == kept
    assert [inst['request_spec'] for inst in result['instances']] == [{'availability_zone': kept}]


def test_zero_disk_flavor_allowed_for_admin_and_for_volumes():
    assert build(server(flavorRef='m1.zero'), context=ADMIN)['request_spec']['flavor'][
        'root_gb'] == 0
    spec = build(server(flavorRef='m1.zero', imageRef='', block_device_mapping_v2=bdm()))[
        'request_spec']
    assert spec['is_bfv'] is True


# --- good requests ------------------------------------------------------------------------------

def test_single_server_shape():
    result = build(server(key_name='demo', metadata={'role': 'web'}, tags=['a', 'a', 'b']))
    spec = result['request_spec']
    assert set(spec) == {
        'instance_uuids', 'num_instances', 'min_num_instances', 'flavor', 'image',
        'availability_zone', 'force_hosts', 'force_nodes', 'ignore_hosts',
        'requested_destination', 'scheduler_hints', 'instance_group', 'project_id', 'user_id',
        'security_groups', 'requested_networks', 'is_bfv'}
    assert spec['flavor'] == {'name': 'm1.nano', 'flavorid': '1', 'vcpus': 1, 'memory_mb': 128,
                              'root_gb': 1, 'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
    assert spec['image']['id'] == IMG_DEMO and spec['image']['disk_format'] == 'qcow2'
    assert spec['requested_networks'] == [{'network_id': NET_PRIVATE, 'fixed_ip': None,
                                           'port_id': None}]
    assert spec['security_groups'] == ['default']
    assert (spec['num_instances'], spec['min_num_instances'], spec['is_bfv']) == (1, 1, False)
    assert re.match(r'^r-[a-z0-9]{8}$', result['reservation_id'])
    [inst] = result['instances']
    assert set(inst) == {
        'uuid', 'name', 'hostname', 'launch_index', 'reservation_id', 'project_id', 'user_id',
        'description', 'tags', 'availability_zone', 'key_name', 'public_keys', 'metadata',
        'security_groups', 'config_drive', 'access_ip_v4', 'access_ip_v6', 'auto_disk_config',
        'flavor', 'image', 'kernel', 'ramdisk', 'networks', 'instance_group',
        'injected_file_paths', 'request_spec'}
    assert inst['request_spec'] == {'availability_zone': None}
    assert inst['uuid'] == spec['instance_uuids'][0]
    assert (inst['name'], inst['hostname'], inst['launch_index']) == ('web', 'web', 0)
    assert inst['public_keys'] == {'demo': 'ssh-ed25519 AAAAC3Nz demo'}
    assert inst['tags'] == ['a', 'b'] and inst['metadata'] == {'role': 'web'}
    assert inst['networks'][0]['libvirt_network'] == 'novalite-private'
    assert inst['networks'][0]['gateway'] == '10.254.0.1'
    assert inst['config_drive'] is True
    assert inst['image']['location'].endswith('novalite-demo.qcow2')


def test_multi_create_names_and_uuids():
    result = build(server(name='Web Server', min_count=2, max_count='3'))
    spec, instances = result['request_spec'], result['instances']
    assert (spec['num_instances'], spec['min_num_instances']) == (3, 2)
    assert [i['name'] for i in instances] == ['Web Server-1', 'Web Server-2', 'Web Server-3']
    assert [i['hostname'] for i in instances] == ['web-server-1', 'web-server-2', 'web-server-3']
    assert [i['launch_index'] for i in instances] == [0, 1, 2]
    assert len(set(spec['instance_uuids'])) == 3
    assert [i['uuid'] for i in instances] == spec['instance_uuids']
    assert all(uuid.UUID(u).version == 4 for u in spec['instance_uuids'])
    assert set(i['reservation_id'] for i in instances) == {result['reservation_id']}


def test_uuids_and_reservation_ids_differ_between_requests():
    first, second = build(), build()
    assert first['request_spec']['instance_uuids'] != second['request_spec']['instance_uuids']
    assert first['reservation_id'] != second['reservation_id']


def test_multi_create_unsanitizable_name():
    instances = build(server(name='日本', max_count=2))['instances']
    assert [i['name'] for i in instances] == ['日本-1', '日本-2']
    assert instances[0]['hostname'] == 'Server-%s' % instances[0]['uuid']


@pytest.mark.parametrize('name,hostname', [
    ('My_Server.example com', 'my-server-example-com'),
    ('--web--', 'web'),
    ('Ünïcode ☃ host', 'ünïcode--host'),
    ('a' * 70, 'a' * 63),
    ('web$#1', 'web1'),
])
def test_hostname_sanitising(name, hostname):
    assert build(server(name=name))['instances'][0]['hostname'] == hostname


def test_hostname_default_for_single():
    inst = build(server(name='☃'))['instances'][0]
    assert inst['hostname'] == 'Server-%s' % inst['uuid']


@pytest.mark.parametrize('zone,context,expected', [
    ('az1', CONTEXT, ('az1', [], [])),
    ('nova', CONTEXT, ('nova', [], [])),
    ('az1:hv1', ADMIN, ('az1', ['hv1'], [])),
    ('az1:hv1:node1', ADMIN, ('az1', ['hv1'], ['node1'])),
    ('az1::node1', ADMIN, ('az1', [], ['node1'])),
    ('elsewhere:hv9', ADMIN, ('elsewhere', ['hv9'], [])),
    (':hv1', ADMIN, (None, ['hv1'], [])),
])
def test_availability_zone_forms(zone, context, expected):
    spec = build(server(availability_zone=zone), context=context)['request_spec']
    assert (spec['availability_zone'], spec['force_hosts'], spec['force_nodes']) == expected


def test_no_zone_means_any():
    spec = build()['request_spec']
    assert (spec['availability_zone'], spec['force_hosts'], spec['requested_destination']) == (
        None, [], None)


def test_requested_destination_for_admin():
    spec = build(server(host='hv1', hypervisor_hostname='hv1.example'), context=ADMIN)[
        'request_spec']
    assert spec['requested_destination'] == {'host': 'hv1', 'node': 'hv1.example'}


def test_fixed_ips_v4_and_v6():
    result = build(server(networks=[{'uuid': 'private', 'fixed_ip': '10.254.0.20'},
                                    {'uuid': NET_V6, 'fixed_ip': 'fd00:1::20'},
                                    {'uuid': 'private'}]))
    nets = result['instances'][0]['networks']
    assert [n['fixed_ip'] for n in nets] == ['10.254.0.20', 'fd00:1::20', None]
    assert nets[1]['bridge'] == 'br6' and nets[1]['network_name'] == 'v6'


def test_port_network():
    spec = build(server(networks=[{'port': PORT_1}]))['request_spec']
    assert spec['requested_networks'] == [{'network_id': NET_PRIVATE, 'fixed_ip': '10.254.0.40',
                                           'port_id': PORT_1}]


def test_networks_auto_with_one_usable_network():
    cat = catalog(networks=[n for n in catalog()['networks'] if n['name'] in ('theirs', 'mine')])
    spec = build(server(networks='auto'), cat=cat)['request_spec']
    assert spec['requested_networks'][0]['network_id'] == NET_MINE


def test_boot_from_volume():
    result = build(server(imageRef='', block_device_mapping_v2=bdm(volume_size=20)))
    spec = result['request_spec']
    assert spec['is_bfv'] is True and spec['image']['id'] is None
    assert result['instances'][0]['image'] is None


def test_boot_from_image_to_volume_skips_flavor_disk_checks():
    spec = build(server(imageRef='', flavorRef='2', block_device_mapping_v2=bdm(
        source_type='image', uuid='big', destination_type='volume', volume_size=8)))[
        'request_spec']
    assert spec['is_bfv'] is True and spec['image']['id'] == IMG_BIG


def test_local_image_bdm_and_ephemeral_swap():
    spec = build(server(flavorRef='2', block_device_mapping_v2=[
        {'source_type': 'image', 'uuid': IMG_DEMO, 'destination_type': 'local',
         'boot_index': '0', 'delete_on_termination': 'yes'},
        {'source_type': 'blank', 'destination_type': 'local', 'volume_size': 2,
         'boot_index': -1},
        {'source_type': 'blank', 'destination_type': 'local', 'guest_format': 'swap',
         'volume_size': 512, 'boot_index': None}]))['request_spec']
    assert spec['is_bfv'] is False and spec['image']['id'] == IMG_DEMO


def test_kernel_and_ramdisk_resolved():
    inst = build()['instances'][0]
    assert inst['kernel']['id'] == IMG_KERNEL and inst['ramdisk']['id'] == IMG_RAMDISK
    assert inst['kernel']['location'].endswith('demo-kernel.qcow2')
    assert inst['kernel']['checksum'].startswith('sha256:')


def test_nokernel_means_neither():
    inst = build(server(imageRef='plain'))['instances'][0]
    assert (inst['kernel'], inst['ramdisk']) == (None, None)


@pytest.mark.parametrize('ref', ['1', 1, 'm1.nano', 'http://nova/v2.1/flavors/1'])
def test_flavor_refs(ref):
    assert build(server(flavorRef=ref))['request_spec']['flavor']['flavorid'] == '1'


def test_private_flavor_with_access():
    assert build(server(flavorRef='ours'))['request_spec']['flavor']['flavorid'] == '8'
    assert build(server(flavorRef='private'), context=ADMIN)['request_spec']['flavor'][
        'flavorid'] == '6'


def test_image_by_name():
    assert build(server(imageRef='novalite-demo'))['request_spec']['image']['id'] == IMG_DEMO


def test_security_groups_deduplicated_by_name():
    spec = build(server(security_groups=[{'name': 'web'}, {'name': 'default'},
                                         {'name': 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'}]))[
        'request_spec']
    assert spec['security_groups'] == ['web', 'default']


def test_disk_config_and_access_ips():
    inst = build(server(imageRef=IMG_AUTO, accessIPv4='192.0.2.1', accessIPv6='2001:db8::1',
                        description=None, config_drive='false'))['instances'][0]
    assert inst['auto_disk_config'] is True
    assert (inst['access_ip_v4'], inst['access_ip_v6']) == ('192.0.2.1', '2001:db8::1')
    inst = build(server(**{'imageRef': IMG_AUTO, 'OS-DCF:diskConfig': 'MANUAL'}))['instances'][0]
    assert inst['auto_disk_config'] is False


def test_server_group_by_name_with_members_and_hosts():
    spec = build(scheduler_hints={'group': 'web', 'same_host': SERVER_1,
                                  'custom': 'kept'})['request_spec']
    group = spec['instance_group']
    assert group['uuid'] == GROUP_WEB and group['policy'] == 'anti-affinity'
    assert group['members'] == [SERVER_1, SERVER_2] and group['hosts'] == ['hv1', 'hv2']
    assert group['rules'] == {'max_server_per_host': 1}
    assert spec['scheduler_hints'] == {'group': GROUP_WEB, 'same_host': [SERVER_1],
                                       'custom': 'kept'}


def test_server_group_by_uuid_of_other_project_for_admin_and_hint_inside_server():
    spec = build(server(scheduler_hints={'group': GROUP_THEIRS}), context=ADMIN)['request_spec']
    assert spec['instance_group']['name'] == 'theirs' and spec['instance_group']['members'] == []


def test_secrets_never_in_result():
    secret = 'Sup3r-Secr3t-Pass'
    user_data = base64.b64encode(b'#!/bin/sh\necho zqx-user-data').decode()
    contents = base64.b64encode(b'file-contents-zqx').decode()
    result = build(server(adminPass=secret, user_data=user_data,
                          personality=[{'path': '/etc/motd', 'contents': contents}]))
    text = json.dumps(result)
    for value in (secret, user_data, contents, 'zqx'):
        assert value not in text
    assert result['instances'][0]['injected_file_paths'] == ['/etc/motd']


def test_unlimited_metadata_quota():
    metadata = dict(('k%d' % i, 'v') for i in range(200))
    inst = build(server(metadata=metadata), quotas={'defaults': {'metadata_items': -1}})[
        'instances'][0]
    assert len(inst['metadata']) == 200


def test_parse_availability_zone_helper():
    assert request.parse_availability_zone('') == (None, None, None)
    assert request.parse_availability_zone('az::n') == ('az', None, 'n')


# --- Nova 2.74's create body, one test per rule (nova/tests/unit/api/openstack/compute/
# test_servers.py style: a body in, accepted or refused with the field named) ----------------

def assert_refused(body, field, rule, **kwargs):
    with pytest.raises(ValidationError) as info:
        build(body, **kwargs)
    assert (info.value.field, info.value.rule) == (field, rule)


def test_create_instance_with_name_ending_in_newline():
    # valid_name_regex ends in `$`, which matches before a final newline; normalize_name strips
    inst = build(server(name='web\n'))['instances'][0]
    assert (inst['name'], inst['hostname']) == ('web', 'web')


def test_create_instance_with_name_ending_in_space_and_newline():
    assert_refused(server(name='web \n'), 'server.name',
                   'must be printable characters with no leading or trailing whitespace')


def test_create_instance_with_description_ending_in_newline():
    assert build(server(description='db\n'))['instances'][0]['description'] == 'db\n'


def test_create_instance_with_description_newline_inside():
    assert_refused(server(description='d\nb'), 'server.description',
                   'must be printable characters')


def test_create_instance_with_min_count_integral_float():
    # jsonschema's integer type takes a JSON number equal to an integer; servers.py int()s it
    spec = build(server(min_count=1.0, max_count=2.0))['request_spec']
    assert (spec['min_num_instances'], spec['num_instances']) == (1, 2)


def test_create_instance_with_device_name_hyphen():
    body = server(block_device_mapping_v2=[dict(ROOT[0], device_name='/dev/vd-a')])
    assert build(body)['request_spec']['image']['id'] == IMG_DEMO


def test_create_instance_with_device_name_backtick():
    body = server(block_device_mapping_v2=[dict(ROOT[0], device_name='vd`a')])
    assert_refused(body, 'server.block_device_mapping_v2[0].device_name',
                   'must match ^[a-zA-Z0-9._/-]*$')


def test_create_instance_with_flavor_href_query_string():
    spec = build(server(flavorRef='http://nova/v2.1/flavors/1?tenant=demo#x'))['request_spec']
    assert spec['flavor']['flavorid'] == '1'


def test_create_instance_with_image_href():
    # 2.37 onwards the schema wants imageRef as a uuid; names are the collection's own
    ref = 'http://glance/v2/images/' + IMG_DEMO
    assert_refused(server(imageRef=ref), 'server.imageRef', 'Image %s could not be found.' % ref)


def test_create_instance_with_empty_forced_host():
    # 'az:' forces no host (no forced_host policy, nothing forced) and, as any given host,
    # skips the zone check (compute/api.py: `forced_host is None`)
    spec = build(server(availability_zone='elsewhere:'))['request_spec']
    assert (spec['availability_zone'], spec['force_hosts'], spec['force_nodes']) == (
        'elsewhere', [], [])


def test_create_instance_with_unknown_zone_and_forced_node_only():
    assert_refused(server(availability_zone='elsewhere::node1'), 'server.availability_zone',
                   'The requested availability zone is not available', context=ADMIN)


def test_create_instance_with_same_fixed_ip_twice():
    nets = build(server(networks=net(fixed_ip='10.254.0.20') * 2))['instances'][0]['networks']
    assert [n['fixed_ip'] for n in nets] == ['10.254.0.20', '10.254.0.20']


def test_create_instance_with_fixed_ip_null():
    assert_refused(server(networks=net(fixed_ip=None)), 'server.networks[0].fixed_ip',
                   'must be a string')


def test_create_instance_with_port_null():
    assert build(server(networks=net(port=None)))['request_spec']['requested_networks'][0][
        'port_id'] is None


def test_create_instance_with_volume_mapping_without_destination_type():
    # not defaulted: neither a volume (no clash with the root's name vda) nor a local disk
    body = server(block_device_mapping_v2=ROOT + [
        {'source_type': 'volume', 'uuid': VOL, 'boot_index': -1, 'device_name': '/dev/vda'}])
    assert build(body)['request_spec']['is_bfv'] is False


def test_create_instance_with_snapshot_boot_mapping_without_destination_type():
    body = server(imageRef='', block_device_mapping_v2=[
        {'source_type': 'snapshot', 'uuid': VOL, 'boot_index': 0}])
    assert_refused(body, 'server.block_device_mapping_v2[0].destination_type',
                   'must be volume for a boot mapping whose source_type is snapshot')


def test_create_instance_with_image_local_mapping_and_empty_image_ref():
    # servers.py: image_uuid_specified=image_ref not in {None, ''}
    assert_refused(server(imageRef='', block_device_mapping_v2=ROOT),
                   'server.block_device_mapping_v2[0]', 'Mapping image to local is not supported.')


def test_create_instance_with_other_projects_group_uuid():
    assert_refused(server(), 'scheduler_hints.group', 'Instance group %s could not be found.'
                   % GROUP_THEIRS, scheduler_hints={'group': GROUP_THEIRS})


def test_create_instance_with_other_projects_group_uuid_as_admin():
    spec = build(scheduler_hints={'group': GROUP_THEIRS}, context=ADMIN)['request_spec']
    assert spec['instance_group']['uuid'] == GROUP_THEIRS


@pytest.mark.parametrize('hint,value', [('query', {'op': '='}), ('anything', ['a', {}]),
                                        ('anything', None), ('anything', [[1]])])
def test_create_instance_with_hint_not_a_list_of_strings(hint, value):
    # RequestSpec.scheduler_hints is a DictOfListOfStringsField: Nova fails on anything else
    assert_refused(server(), 'scheduler_hints.%s' % hint, 'must be a string or a number, or a '
                   'list of them (hints are kept as lists of strings)',
                   scheduler_hints={hint: value})


def test_create_instance_with_hint_numbers():
    spec = build(scheduler_hints={'anything': [1, 2.5, 'x'], 'other': 3})['request_spec']
    assert spec['scheduler_hints'] == {'anything': [1, 2.5, 'x'], 'other': 3}
